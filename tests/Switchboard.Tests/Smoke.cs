namespace Switchboard.Tests; public class SmokeTests { [Fact] public void Works() => Assert.True(true); }
