/*
 * time-client: the load generator of switchboard-bench's `time` scenario, in C.
 *
 *   time-client HOST PORT CLIENTS INTERVAL DURATION
 *
 * HOST is an address (or a name), PORT a TCP port, CLIENTS how many connections to open;
 * INTERVAL is how often the server ticks and DURATION how long to measure, both in seconds,
 * decimals allowed (0.1, 10).
 *
 * It opens CLIENTS connections to a time app, one after another (a blocking connect each, given
 * up after 10 s), then reads them all, non-blocking, on one epoll loop on one thread, for DURATION
 * from the last connect. Each line a client reads is a tick; its lateness is how much longer than
 * INTERVAL the gap since that client's previous line is: max(0, now - previous - INTERVAL), on
 * CLOCK_MONOTONIC, taken after each read that returns data (every line that read completes is
 * stamped with it, as the .NET clients stamp each line after the read that brought it). Lines
 * that arrive within one INTERVAL of the last connect are warm-up (they queued while the other
 * connections opened) and are not measured. A connection the server closes or resets is no
 * longer read and is counted as lost.
 *
 * stdout, at the end and nothing else: one "key value" per line, then the histogram:
 *   lines N          ticks measured (lateness values recorded)
 *   seconds S        from the last connect to the end
 *   lost N           connections closed or reset by the server
 *   cpu_seconds S    this process's user + system CPU over those seconds
 *   lateness V C     one line per bucket that holds any: C ticks with a lateness of V ns or a
 *                    little more (log-linear buckets: exact below 2,048 ns, then 1,024 to a
 *                    power of two, 3 significant digits; V is the bucket's lowest value)
 * stderr: one line once every connection is open ("time-client: N connections open, measuring
 * for S s"), and errors, one line each. Exit code 0 when the result is printed (SIGINT or
 * SIGTERM end the measurement early, with what it measured so far), 1 when a connection cannot
 * be opened or the loop fails, 2 for a bad command line.
 */
#define _GNU_SOURCE
#define PROGRAM "time-client"
#include "load-client.h"

static int usage(const char *why)
{
    fprintf(stderr, "time-client: %s (usage: time-client HOST PORT CLIENTS INTERVAL_SECONDS DURATION_SECONDS)\n", why);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 6)
        return usage("five arguments expected");
    const char *host = argv[1], *port = argv[2];
    char *end;
    errno = 0;
    long clients = strtol(argv[3], &end, 10);
    if (errno != 0 || end == argv[3] || *end != '\0' || clients < 1 || clients > 10000000)
        return usage("CLIENTS must be a whole number from 1 to 10000000");
    int64_t interval = parse_seconds(argv[4]), duration = parse_seconds(argv[5]);
    if (interval < 0)
        return usage("INTERVAL must be a number of seconds, more than 0");
    if (duration < 0)
        return usage("DURATION must be a number of seconds, more than 0");

    /* SIGINT and SIGTERM end the measurement (or the connecting) early; while measuring they are
     * blocked except inside epoll_pwait (see below). */
    prepare_process();

    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *address;
    int resolved = getaddrinfo(host, port, &hints, &address);
    if (resolved != 0) {
        fprintf(stderr, "time-client: cannot resolve %s (port %s): %s\n", host, port, gai_strerror(resolved));
        return 1;
    }

    int *fds = malloc((size_t)clients * sizeof *fds);
    int64_t *last = malloc((size_t)clients * sizeof *last); /* each client's previous measured line; -1: none yet */
    uint64_t *histogram = calloc(BUCKETS, sizeof *histogram);
    int loop = epoll_create1(EPOLL_CLOEXEC);
    if (fds == NULL || last == NULL || histogram == NULL || loop < 0) {
        fprintf(stderr, "time-client: cannot set up for %ld clients: %s\n", clients, strerror(errno));
        return 1;
    }

    /* The target as messages name it: HOST:PORT, an IPv6 address in brackets. */
    char target_name[300];
    snprintf(target_name, sizeof target_name, strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, port);
    for (long i = 0; i < clients; i++) {
        fds[i] = stop_requested ? -1 : open_one(address, target_name, i);
        if (fds[i] < 0) {
            if (stop_requested)
                fprintf(stderr, "time-client: interrupted while connecting (%ld of %ld open)\n", i, clients);
            return 1;
        }
        last[i] = -1;
        struct epoll_event event = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
        if (epoll_ctl(loop, EPOLL_CTL_ADD, fds[i], &event) != 0) {
            fprintf(stderr, "time-client: epoll_ctl: %s\n", strerror(errno));
            return 1;
        }
    }
    freeaddrinfo(address);

    int64_t start = now_ns();
    int64_t warm_up_ends = start + interval, ends = start + duration;
    double cpu_before = cpu_seconds();
    fprintf(stderr, "time-client: %ld connections open, measuring for %g s\n", clients, duration / 1e9);

    /* A stop that lands between the check of stop_requested and the wait stays pending, blocked,
     * until epoll_pwait unblocks it as it starts waiting: it ends the wait at once (EINTR), not at
     * the next tick or the end of the run. One that landed before the block set stop_requested. */
    sigset_t stops, waiting;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stops, &waiting) != 0) {
        fprintf(stderr, "time-client: sigprocmask: %s\n", strerror(errno));
        return 1;
    }
    sigdelset(&waiting, SIGINT);
    sigdelset(&waiting, SIGTERM);

    uint64_t lines = 0, lost = 0;
    static struct epoll_event events[EVENTS];
    static char buffer[4096];
    for (;;) {
        int64_t now = now_ns();
        if (stop_requested || now >= ends)
            break;
        int64_t wait_ms = (ends - now + 999999) / 1000000;
        int ready = epoll_pwait(loop, events, EVENTS, wait_ms > INT_MAX ? INT_MAX : (int)wait_ms, &waiting);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "time-client: epoll_pwait: %s\n", strerror(errno));
            return 1;
        }
        for (int e = 0; e < ready; e++) {
            long i = (long)events[e].data.u64;
            ssize_t got = read(fds[i], buffer, sizeof buffer);
            now = now_ns(); /* this read's time (a vDSO call, no system call): the lines it completes arrived by now */
            if (got < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (got <= 0) { /* closed, or reset: read it no more */
                epoll_ctl(loop, EPOLL_CTL_DEL, fds[i], NULL);
                close(fds[i]);
                lost++;
                continue;
            }
            for (const char *p = buffer; (p = memchr(p, '\n', (size_t)(buffer + got - p))) != NULL; p++) {
                if (now < warm_up_ends)
                    continue;
                if (last[i] >= 0) {
                    int64_t late = now - last[i] - interval;
                    histogram[bucket_of(late > 0 ? (uint64_t)late : 0)]++;
                    lines++;
                }
                last[i] = now;
            }
        }
    }

    double seconds = (now_ns() - start) / 1e9;
    double cpu = cpu_seconds() - cpu_before;
    printf("lines %llu\nseconds %.6f\nlost %llu\ncpu_seconds %.6f\n", (unsigned long long)lines, seconds, (unsigned long long)lost, cpu);
    for (int b = 0; b < BUCKETS; b++) {
        if (histogram[b] != 0)
            printf("lateness %llu %llu\n", (unsigned long long)lowest_of(b), (unsigned long long)histogram[b]);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "time-client: cannot write the result: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
