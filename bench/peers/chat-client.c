/*
 * chat-client: the load generator of switchboard-bench's `chat` scenario, in C.
 *
 *   chat-client CLIENTS SENDERS DURATION NODE [NODE...]
 *
 * CLIENTS is how many members to put in the room, SENDERS how many of them talk (the first ones),
 * DURATION how long they talk, in seconds, decimals allowed (0.5, 10). Each NODE is a chat server
 * as HOST:PORT (an IPv6 address in brackets, [::1]:7000); with several, nodes sharing rooms
 * through a hub, client i joins node i % NODES, senders included.
 *
 * It opens the connections one after another (a blocking connect each, given up after 10 s), then
 * names every client at once ("/nick cI") and reads them all, non-blocking, on one epoll loop on
 * one thread, until each has been told "*** you are ..." (the room has it): at most 10 s without
 * one more joining. Then the senders each say "t=NANOSECONDS\n" every 10 ms, stamped with
 * CLOCK_MONOTONIC (the clock of .NET's Stopwatch on Linux, so the .NET load and this one say and
 * read the same stamp), paced by the loop's timeout and spread evenly over the 10 ms; a sender
 * that falls behind skips the ticks it missed, as a periodic timer does. A sender whose socket is
 * full holds its line and says nothing more until it is written. Every member times each line
 * "<cK> t=NANOSECONDS" it receives, from the stamp to the read that completed it; when K is on
 * another node than the member, the line also counts as cross-node. A "! ..." line is a refusal
 * from the server, counted. A connection the server closes or resets before the senders stop is
 * counted as closed early (a sender's or a listener's). After DURATION the senders stop, and the
 * members read for up to 1 s more, until every line said has reached every member but its sender.
 *
 * stdout, at the end and nothing else: one "key value" per line, then the histograms:
 *   lines_sent N               lines the senders wrote
 *   delivered N                stamped lines the members received
 *   expected N                 lines_sent times (CLIENTS - 1)
 *   refusal_lines N            "! ..." lines the members received while talking
 *   senders N                  clients that talked
 *   senders_closed_early N     of them, closed or reset by the server before the end
 *   listeners_closed_early N   of the others, the same
 *   seconds S                  from the start of the talk until the senders stopped
 *   cpu_seconds S              this process's user + system CPU from the start to the end
 *   first_refusal TEXT         the first "! ..." line, when there is one
 *   latency V C                one line per bucket that holds any: C deliveries with a latency of
 *                              V ns or a little more (log-linear buckets: exact below 2,048 ns, then
 *                              1,024 to a power of two; V is the bucket's lowest value)
 *   cross_node V C             the same, for the cross-node deliveries
 * stderr: one line once every client is in the room ("chat-client: N clients in the room, measuring
 * for S s"), and errors, one line each. Exit code 0 when the result is printed (SIGINT or SIGTERM
 * end the talk early, and the drain, with what was measured so far), 1 when a connection cannot be
 * opened, a client cannot join or the loop fails, 2 for a bad command line.
 */
#define _GNU_SOURCE
#define PROGRAM "chat-client"
#include "load-client.h"

#define JOIN_TIMEOUT_NS 10000000000LL  /* without one more client joining */
#define SEND_EVERY_NS 10000000LL       /* each sender's pace */
#define DRAIN_NS 1000000000LL          /* after the talk, for the lines on their way */
#define CARRY 256                      /* a line's start kept from one read to the next; longer ones are not ours */
#define READ_SIZE 65536
#define REFUSAL_KEPT 200

struct client {
    int fd;                 /* -1 once closed */
    int node;
    int joined;
    int closed_early;
    int skipping;           /* inside a line too long to keep: drop it up to its end */
    int carry_length;
    int pending_length;     /* a sender's line not yet wholly written */
    int pending_offset;
    int64_t due;            /* a sender's next line */
    char carry[CARRY];
    char pending[32];
};

enum phase { JOINING, TALKING, DRAINING };

static struct client *clients;
static long client_count, sender_count, node_count;
static enum phase phase = JOINING;
static long joined, lost;
static uint64_t lines_sent, delivered, refusal_lines;
static char first_refusal[REFUSAL_KEPT + 1];
static uint64_t *latency, *cross_node;
static int loop;
static const char *join_error; /* a line the server answered /nick with instead of a welcome */
static char join_error_line[REFUSAL_KEPT + 1];

/* A whole number from low to high; -1 if it is not one. */
static long parse_count(const char *text, long low, long high)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < low || value > high)
        return -1;
    return value;
}

static int usage(const char *why)
{
    fprintf(stderr, "chat-client: %s (usage: chat-client CLIENTS SENDERS DURATION_SECONDS HOST:PORT [HOST:PORT...])\n", why);
    return 2;
}

/* Resolves "HOST:PORT" or "[HOST]:PORT"; NULL after saying why on stderr. */
static struct addrinfo *resolve(const char *node)
{
    char host[256];
    const char *port;
    if (node[0] == '[') {
        const char *close = strchr(node, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - node - 1) >= sizeof host) {
            usage("a node is HOST:PORT, an IPv6 address in brackets ([::1]:7000)");
            return NULL;
        }
        memcpy(host, node + 1, (size_t)(close - node - 1));
        host[close - node - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(node, ':');
        if (colon == NULL || colon == node || (size_t)(colon - node) >= sizeof host || strchr(node, ':') != colon) {
            usage("a node is HOST:PORT, an IPv6 address in brackets ([::1]:7000)");
            return NULL;
        }
        memcpy(host, node, (size_t)(colon - node));
        host[colon - node] = '\0';
        port = colon + 1;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *address;
    int resolved = getaddrinfo(host, port, &hints, &address);
    if (resolved != 0) {
        fprintf(stderr, "chat-client: cannot resolve %s (port %s): %s\n", host, port, gai_strerror(resolved));
        return NULL;
    }
    return address;
}

/* The connection is gone: read and write it no more; before the talk ends, it closed early. */
static void lose(struct client *c)
{
    if (c->fd < 0)
        return;
    epoll_ctl(loop, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->pending_length = 0;
    lost++;
    if (phase != DRAINING)
        c->closed_early = 1;
}

/* Writes what is left of a sender's line: 1 when it is all written, 0 when the socket is full, -1 when the connection is gone. */
static int flush(struct client *c)
{
    while (c->pending_offset < c->pending_length) {
        ssize_t wrote = send(c->fd, c->pending + c->pending_offset, (size_t)(c->pending_length - c->pending_offset), MSG_NOSIGNAL);
        if (wrote < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return -1;
        }
        c->pending_offset += (int)wrote;
    }
    c->pending_length = c->pending_offset = 0;
    return 1;
}

/* Waits for a full sender's socket to take the rest of its line (out) or not. */
static void watch_output(struct client *c, long index, int out)
{
    struct epoll_event event = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u64 = (uint64_t)index };
    epoll_ctl(loop, EPOLL_CTL_MOD, c->fd, &event);
}

/* One sender's tick: a stamped line, unless the last one is still being written. */
static void say(struct client *c, long index)
{
    if (c->fd < 0 || c->pending_length > 0)
        return; /* gone, or blocked on its last line, as a .NET sender blocked in SendAsync */
    c->pending_length = snprintf(c->pending, sizeof c->pending, "t=%lld\n", (long long)now_ns());
    c->pending_offset = 0;
    int written = flush(c);
    if (written > 0)
        lines_sent++;
    else if (written == 0)
        watch_output(c, index, 1);
    else
        lose(c);
}

/* K from "<cK> t=..." whose nick ends at nick_end; -1 if the nick is not one of ours. */
static long sender_index(const char *line, const char *nick_end)
{
    if (nick_end - line <= 2 || line[0] != '<' || line[1] != 'c')
        return -1;
    long index = 0;
    for (const char *p = line + 2; p < nick_end; p++) {
        if (*p < '0' || *p > '9' || index > LONG_MAX / 10 - 10)
            return -1;
        index = index * 10 + (*p - '0');
    }
    return index;
}

/* A line's first REFUSAL_KEPT bytes, to quote in the result or an error. */
static void keep(char *to, const char *line, size_t length)
{
    size_t kept = length < REFUSAL_KEPT ? length : REFUSAL_KEPT;
    memcpy(to, line, kept);
    to[kept] = '\0';
}

/* One whole line a client received at now (without its newline). */
static void on_line(struct client *c, char *line, size_t length, int64_t now)
{
    if (length > 0 && line[length - 1] == '\r')
        length--;
    line[length] = '\0';
    if (phase == JOINING) {
        if (!c->joined && strncmp(line, "*** you are", 11) == 0) {
            c->joined = 1;
            joined++;
        } else if (!c->joined && strncmp(line, "! ", 2) == 0 && join_error == NULL) {
            keep(join_error_line, line, length);
            join_error = join_error_line;
        }
        return; /* the room's notices of the others joining: not measured */
    }
    if (strncmp(line, "! ", 2) == 0) {
        if (refusal_lines++ == 0)
            keep(first_refusal, line, length);
        return;
    }
    char *stamp = strstr(line, "> t=");
    if (stamp == NULL || stamp[4] < '0' || stamp[4] > '9')
        return;
    int64_t sent = 0;
    for (const char *p = stamp + 4; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || sent > INT64_MAX / 10 - 10)
            return; /* not a stamp of ours */
        sent = sent * 10 + (*p - '0');
    }
    uint64_t value = now > sent ? (uint64_t)(now - sent) : 0;
    latency[bucket_of(value)]++;
    delivered++;
    if (node_count > 1) {
        long sender = sender_index(line, stamp);
        if (sender >= 0 && sender % node_count != c->node)
            cross_node[bucket_of(value)]++;
    }
}

/* Reads what a client has: every line it completes is one on_line, at the time of the read. */
static void receive(struct client *c)
{
    static char buffer[CARRY + READ_SIZE + 1];
    memcpy(buffer, c->carry, (size_t)c->carry_length);
    ssize_t got = read(c->fd, buffer + c->carry_length, READ_SIZE);
    int64_t now = now_ns(); /* this read's time (a vDSO call, no system call): the lines it completes arrived by now */
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (got <= 0) { /* closed, or reset */
        lose(c);
        return;
    }
    char *start = buffer, *end = buffer + c->carry_length + got;
    for (char *newline; (newline = memchr(start, '\n', (size_t)(end - start))) != NULL; start = newline + 1) {
        if (c->skipping)
            c->skipping = 0; /* the end of a line too long to be ours */
        else
            on_line(c, start, (size_t)(newline - start), now);
    }
    size_t left = (size_t)(end - start);
    if (c->skipping || left >= CARRY) {
        c->skipping = 1;
        c->carry_length = 0;
    } else {
        memmove(c->carry, start, left);
        c->carry_length = (int)left;
    }
}

/* One turn of the loop: waits until deadline at most, then serves what is ready; -1 on a failed wait. */
static int turn(int64_t deadline, const sigset_t *waiting)
{
    static struct epoll_event events[EVENTS];
    int64_t now = now_ns();
    int64_t wait_ms = deadline > now ? (deadline - now + 999999) / 1000000 : 0;
    int ready = epoll_pwait(loop, events, EVENTS, wait_ms > INT_MAX ? INT_MAX : (int)wait_ms, waiting);
    if (ready < 0) {
        if (errno == EINTR)
            return 0;
        fprintf(stderr, "chat-client: epoll_pwait: %s\n", strerror(errno));
        return -1;
    }
    for (int e = 0; e < ready; e++) {
        long index = (long)events[e].data.u64;
        struct client *c = &clients[index];
        if (c->fd >= 0 && (events[e].events & EPOLLOUT) != 0 && c->pending_length > 0) {
            int written = flush(c);
            if (written > 0) {
                lines_sent++;
                watch_output(c, index, 0);
            } else if (written < 0) {
                lose(c);
            }
        }
        if (c->fd >= 0 && (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0)
            receive(c);
    }
    return 0;
}

static void print_histogram(const char *name, const uint64_t *histogram)
{
    for (int b = 0; b < BUCKETS; b++) {
        if (histogram[b] != 0)
            printf("%s %llu %llu\n", name, (unsigned long long)lowest_of(b), (unsigned long long)histogram[b]);
    }
}

int main(int argc, char **argv)
{
    if (argc < 5)
        return usage("at least four arguments expected");
    client_count = parse_count(argv[1], 1, 10000000);
    if (client_count < 0)
        return usage("CLIENTS must be a whole number from 1 to 10000000");
    sender_count = parse_count(argv[2], 1, 10000000);
    if (sender_count < 0)
        return usage("SENDERS must be a whole number from 1 to 10000000");
    if (sender_count > client_count)
        sender_count = client_count;
    int64_t duration = parse_seconds(argv[3]);
    if (duration < 0)
        return usage("DURATION must be a number of seconds, more than 0");
    node_count = argc - 4;

    /* SIGINT and SIGTERM end the talk (or the connecting, or the joining) early; once connected
     * they are blocked except inside epoll_pwait. */
    prepare_process();

    struct addrinfo **addresses = calloc((size_t)node_count, sizeof *addresses);
    clients = calloc((size_t)client_count, sizeof *clients);
    latency = calloc(BUCKETS, sizeof *latency);
    cross_node = calloc(BUCKETS, sizeof *cross_node);
    loop = epoll_create1(EPOLL_CLOEXEC);
    if (addresses == NULL || clients == NULL || latency == NULL || cross_node == NULL || loop < 0) {
        fprintf(stderr, "chat-client: cannot set up for %ld clients: %s\n", client_count, strerror(errno));
        return 1;
    }
    for (long n = 0; n < node_count; n++) {
        addresses[n] = resolve(argv[4 + n]);
        if (addresses[n] == NULL)
            return 1;
    }

    for (long i = 0; i < client_count; i++) {
        struct client *c = &clients[i];
        c->node = (int)(i % node_count);
        c->fd = stop_requested ? -1 : open_one(addresses[c->node], argv[4 + c->node], i);
        if (c->fd < 0) {
            if (stop_requested)
                fprintf(stderr, "chat-client: interrupted while connecting (%ld of %ld open)\n", i, client_count);
            return 1;
        }
        struct epoll_event event = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
        if (epoll_ctl(loop, EPOLL_CTL_ADD, c->fd, &event) != 0) {
            fprintf(stderr, "chat-client: epoll_ctl: %s\n", strerror(errno));
            return 1;
        }
    }
    for (long n = 0; n < node_count; n++)
        freeaddrinfo(addresses[n]);
    free(addresses);

    /* A stop that lands between the check of stop_requested and the wait stays pending, blocked,
     * until epoll_pwait unblocks it as it starts waiting: it ends the wait at once (EINTR). One that
     * landed before the block set stop_requested. */
    sigset_t stops, waiting;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stops, &waiting) != 0) {
        fprintf(stderr, "chat-client: sigprocmask: %s\n", strerror(errno));
        return 1;
    }
    sigdelset(&waiting, SIGINT);
    sigdelset(&waiting, SIGTERM);

    /* Joining: every client named at once (a line into an empty socket is taken whole), then the
     * loop until each is welcomed, none of them closed, and one more joins at least every 10 s. */
    for (long i = 0; i < client_count; i++) {
        char nick[40];
        int length = snprintf(nick, sizeof nick, "/nick c%ld\n", i);
        if (send(clients[i].fd, nick, (size_t)length, MSG_NOSIGNAL) != length) {
            fprintf(stderr, "chat-client: cannot name client %ld: %s\n", i, strerror(errno));
            return 1;
        }
    }
    int64_t progress = now_ns();
    long joined_before = 0;
    while (joined < client_count) {
        if (stop_requested) {
            fprintf(stderr, "chat-client: interrupted while joining (%ld of %ld in the room)\n", joined, client_count);
            return 1;
        }
        if (turn(progress + JOIN_TIMEOUT_NS, &waiting) != 0)
            return 1;
        if (join_error != NULL) { /* first: a server that refuses often closes right after */
            fprintf(stderr, "chat-client: the server answered /nick with '%s'\n", join_error);
            return 1;
        }
        if (lost > 0) {
            fprintf(stderr, "chat-client: the server closed the connection instead of answering /nick: is it the chat app?\n");
            return 1;
        }
        int64_t now = now_ns();
        if (joined > joined_before) {
            joined_before = joined;
            progress = now;
        } else if (now - progress >= JOIN_TIMEOUT_NS) {
            fprintf(stderr, "chat-client: no answer to /nick within %lld s (%ld of %ld in the room): is the server the chat app?\n",
                    JOIN_TIMEOUT_NS / 1000000000, joined, client_count);
            return 1;
        }
    }

    int64_t start = now_ns();
    double cpu_before = cpu_seconds();
    fprintf(stderr, "chat-client: %ld clients in the room, measuring for %g s\n", client_count, duration / 1e9);
    phase = TALKING;

    /* Sender s says its lines at start + (s + 1) * 10 ms / senders + k * 10 ms: in turn, so the next
     * due is always the cursor's (a late one skips what it missed and keeps its place in the turn). */
    for (long s = 0; s < sender_count; s++)
        clients[s].due = start + (s + 1) * SEND_EVERY_NS / sender_count;
    long cursor = 0;
    int64_t talk_ends = start + duration;
    for (;;) {
        int64_t now = now_ns();
        if (stop_requested || now >= talk_ends)
            break;
        for (long turns = 0; turns < sender_count && clients[cursor].due <= now; turns++) {
            struct client *c = &clients[cursor];
            say(c, cursor);
            c->due += SEND_EVERY_NS;
            if (c->due <= now)
                c->due += ((now - c->due) / SEND_EVERY_NS + 1) * SEND_EVERY_NS;
            cursor = cursor + 1 == sender_count ? 0 : cursor + 1;
        }
        int64_t deadline = clients[cursor].due < talk_ends ? clients[cursor].due : talk_ends;
        if (turn(deadline, &waiting) != 0)
            return 1;
    }
    double seconds = (now_ns() - start) / 1e9;

    /* The drain: every member but its sender gets each line; wait (briefly) for those on their way. */
    phase = DRAINING;
    for (long s = 0; s < sender_count; s++) {
        if (clients[s].fd >= 0 && clients[s].pending_length > 0) {
            clients[s].pending_length = clients[s].pending_offset = 0; /* the talk is over: its line is not said */
            watch_output(&clients[s], s, 0);
        }
    }
    uint64_t expected = lines_sent * (uint64_t)(client_count - 1);
    int64_t drain_ends = now_ns() + DRAIN_NS;
    while (!stop_requested && delivered < expected && now_ns() < drain_ends) {
        if (turn(drain_ends, &waiting) != 0)
            return 1;
    }
    double cpu = cpu_seconds() - cpu_before;

    long senders_closed = 0, listeners_closed = 0;
    for (long i = 0; i < client_count; i++) {
        if (clients[i].closed_early) {
            if (i < sender_count)
                senders_closed++;
            else
                listeners_closed++;
        }
    }
    printf("lines_sent %llu\ndelivered %llu\nexpected %llu\nrefusal_lines %llu\nsenders %ld\nsenders_closed_early %ld\nlisteners_closed_early %ld\nseconds %.6f\ncpu_seconds %.6f\n",
           (unsigned long long)lines_sent, (unsigned long long)delivered, (unsigned long long)expected, (unsigned long long)refusal_lines,
           sender_count, senders_closed, listeners_closed, seconds, cpu);
    if (refusal_lines > 0)
        printf("first_refusal %s\n", first_refusal);
    print_histogram("latency", latency);
    print_histogram("cross_node", cross_node);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chat-client: cannot write the result: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
