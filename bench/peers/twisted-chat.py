#!/usr/bin/env python3
"""A chat room on Twisted: the bench's chat reference peer.

Usage: twisted-chat.py [PORT]   (0, the default, takes any free port)

Listens on 127.0.0.1, prints "listening on 127.0.0.1:PORT (chat, twisted)" once it does, and
stops (exit 0) on SIGTERM or SIGINT. It is written the way a Twisted programmer would write a
chat room: a LineReceiver per connection, a factory holding the members, and one
transport.write per member per line, left to Twisted to buffer and send when the reactor finds
the socket writable. Twisted's default reactor on Linux is epoll.

It speaks the part of Switchboard's chat protocol (docs/chat-protocol.md) that the bench's chat
loads use, in the same words, so that the loads cannot tell it from `switchboard serve chat`:

  on connecting     *** welcome ...                      (to the newcomer)
  /nick NAME        *** NAME joined #lobby (N here)      (to everyone in the room, NAME too)
                    *** you are NAME, in #lobby          (to NAME)
  a line of text    <NAME> text                          (to every other member: never echoed)
  on leaving        *** NAME quit (connection closed)    (to the rest)

and answers a few mistakes with "! ..." as Switchboard does: a bad or taken name, talk before a
name, a second /nick, an unknown command. /quit says "*** bye" and closes. There is one room, no
history, no flood control and no other command.
"""

import re
import sys

from twisted.internet import protocol, reactor
from twisted.internet.error import CannotListenError
from twisted.protocols.basic import LineReceiver

ROOM = "lobby"
NAME = re.compile(r"[A-Za-z0-9_-]{1,20}\Z")
GREETING = "*** welcome to Switchboard chat (Twisted peer). Who are you? Choose a name with /nick NAME"


class Member(LineReceiver):
    """One connection: its lines in, the room's lines out."""

    delimiter = b"\n"  # telnet's "\r\n" works too: the "\r" is dropped in lineReceived

    def __init__(self, room):
        self.room = room
        self.nick = None

    def connectionMade(self):
        self.say(GREETING)

    def connectionLost(self, reason):
        if self.nick is not None:
            self.room.leave(self)

    def lineReceived(self, line):
        text = line.decode("utf-8", errors="replace").strip()
        if not text:
            return  # an empty line says nothing
        if not text.startswith("/"):
            if self.nick is None:
                self.say("! choose a name first: /nick NAME")
            else:
                self.room.talk(self, text)
            return
        command, _, rest = text[1:].partition(" ")
        command, rest = command.lower(), rest.strip()
        if command == "nick":
            self.choose(rest)
        elif command == "quit":
            self.say("*** bye")
            self.transport.loseConnection()  # after what is buffered has been sent
        else:
            self.say(f"! unknown command /{command}; try /help")

    def choose(self, nick):
        if not NAME.match(nick):
            self.say(f"! bad name '{nick}': use 1-20 ASCII letters (a-z, A-Z), digits, _ or -" if nick else "! usage: /nick NAME")
        elif self.nick is not None:
            self.say(f"! you are already {self.nick}")  # renaming is not part of this peer
        elif self.room.taken(nick):
            self.say(f"! the name {nick} is taken")
        else:
            self.nick = nick
            self.room.join(self)
            self.say(f"*** you are {nick}, in #{ROOM}")

    def say(self, text):
        """One line to this member alone."""
        self.transport.write(text.encode("utf-8") + b"\n")


class Room(protocol.Factory):
    """The factory: makes a Member per connection and holds those with a name."""

    def __init__(self):
        self.members = {}  # nick folded to lower case -> Member, in the order they joined

    def buildProtocol(self, addr):
        return Member(self)

    def taken(self, nick):
        return nick.lower() in self.members

    def join(self, member):
        self.members[member.nick.lower()] = member
        self.broadcast(f"*** {member.nick} joined #{ROOM} ({len(self.members)} here)")

    def leave(self, member):
        # At shutdown the room has been emptied already (shutdown), and nobody is told.
        if self.members.pop(member.nick.lower(), None) is member:
            self.broadcast(f"*** {member.nick} quit (connection closed)")

    def talk(self, member, text):
        self.broadcast(f"<{member.nick}> {text}", sender=member)

    def broadcast(self, text, sender=None):
        """The line, encoded once, written to every member but its sender."""
        data = text.encode("utf-8") + b"\n"
        for member in self.members.values():
            if member is not sender:
                member.transport.write(data)

    def shutdown(self):
        """The reactor is stopping: members are told so and leave without a word to the room."""
        members, self.members = self.members, {}
        for member in members.values():
            member.say("*** the server is shutting down; goodbye")


def main():
    try:
        port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
        if not 0 <= port <= 65535:
            raise ValueError
    except ValueError:
        print(f"twisted-chat: the port must be 0-65535 (got '{sys.argv[1]}')", file=sys.stderr)
        return 2
    room = Room()
    try:
        listening = reactor.listenTCP(port, room, interface="127.0.0.1")
    except CannotListenError as e:
        print(f"twisted-chat: cannot listen on 127.0.0.1:{port}: {e.socketError}", file=sys.stderr)
        return 1
    # The reactor's own handlers stop it on SIGTERM and SIGINT; run() then returns.
    reactor.addSystemEventTrigger("before", "shutdown", room.shutdown)
    print(f"listening on 127.0.0.1:{listening.getHost().port} (chat, twisted)", flush=True)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
