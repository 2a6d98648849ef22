/*
 * What the bench's C load clients (time-client.c, chat-client.c) share: the connects, the clock,
 * the stop signals and the lateness histogram's buckets. Each program defines PROGRAM, its name
 * in messages, before including this file; everything here is static, for one program each.
 */
#ifndef SWITCHBOARD_LOAD_CLIENT_H
#define SWITCHBOARD_LOAD_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_SECONDS 10
#define PER_SOURCE_ADDRESS 20000 /* past this many loopback connections, connect from 127.0.0.2, .3, ... */
#define EVENTS 1024

/* Log-linear buckets: values below 2^11 each their own; above, 2^10 sub-buckets per power of two. */
#define SUB_BITS 10
#define SUB_COUNT (1 << SUB_BITS)
#define BUCKETS ((65 - SUB_BITS) * SUB_COUNT) /* up to 2^64 - 1 */

static volatile sig_atomic_t stop_requested;

static inline void on_stop(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

/*
 * SIGINT and SIGTERM set stop_requested, with no SA_RESTART, so that a blocking connect returns;
 * SIGPIPE is ignored (a write to a closed connection is an error, not the end); and the soft
 * descriptor limit is raised to the hard one: one descriptor per client.
 */
static inline void prepare_process(void)
{
    struct sigaction stop = { .sa_handler = on_stop };
    sigemptyset(&stop.sa_mask);
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGTERM, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
}

static inline int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static inline int bucket_of(uint64_t value)
{
    if (value < 2 * SUB_COUNT)
        return (int)value;
    int shift = 63 - __builtin_clzll(value) - SUB_BITS; /* value >> shift is in [SUB_COUNT, 2 * SUB_COUNT) */
    return (shift + 1) * SUB_COUNT + (int)((value >> shift) - SUB_COUNT);
}

static inline uint64_t lowest_of(int bucket)
{
    if (bucket < 2 * SUB_COUNT)
        return (uint64_t)bucket;
    int shift = bucket / SUB_COUNT - 1;
    return ((uint64_t)(bucket % SUB_COUNT) + SUB_COUNT) << shift;
}

/* A positive decimal number of seconds, in nanoseconds; -1 if it is not one. */
static inline int64_t parse_seconds(const char *text)
{
    char *end;
    errno = 0;
    double seconds = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(seconds > 0) || seconds > 1e6)
        return -1;
    return (int64_t)(seconds * 1e9 + 0.5);
}

/* Opens one connection to address, blocking until it is open, then non-blocking; -1 after saying why on stderr (nothing if interrupted). */
static inline int open_one(const struct addrinfo *address, const char *target_name, long index)
{
    int fd = socket(address->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, PROGRAM ": cannot open a socket for connection %ld: %s\n", index + 1, strerror(errno));
        return -1;
    }
    if (address->ai_family == AF_INET && index >= PER_SOURCE_ADDRESS) {
        const struct sockaddr_in *target = (const struct sockaddr_in *)address->ai_addr;
        if ((ntohl(target->sin_addr.s_addr) >> 24) == 127) {
            struct sockaddr_in source = { .sin_family = AF_INET };
            source.sin_addr.s_addr = htonl((127u << 24) | (uint32_t)(1 + index / PER_SOURCE_ADDRESS));
            if (bind(fd, (const struct sockaddr *)&source, sizeof source) != 0) {
                int why = errno;
                char name[INET_ADDRSTRLEN] = "?";
                inet_ntop(AF_INET, &source.sin_addr, name, sizeof name);
                fprintf(stderr, PROGRAM ": cannot bind connection %ld to %s: %s\n", index + 1, name, strerror(why));
                close(fd);
                return -1;
            }
        }
    }
    /* A blocking connect gives up after the send timeout (EINPROGRESS), not after two minutes of SYNs. */
    struct timeval timeout = { .tv_sec = CONNECT_TIMEOUT_SECONDS };
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) != 0) {
        fprintf(stderr, PROGRAM ": cannot set the connect timeout: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    if (connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
        if (!stop_requested) {
            if (errno == EINPROGRESS || errno == EAGAIN || errno == ETIMEDOUT)
                fprintf(stderr, PROGRAM ": cannot connect to %s: no answer within %d s\n", target_name, CONNECT_TIMEOUT_SECONDS);
            else
                fprintf(stderr, PROGRAM ": cannot connect to %s: %s\n", target_name, strerror(errno));
        }
        close(fd);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        fprintf(stderr, PROGRAM ": cannot make connection %ld non-blocking: %s\n", index + 1, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

#endif
