/*
 * epoll-echo: the benchmark's C floor, a plain single-threaded epoll echo server.
 *
 * What a careful C programmer writes with libc and epoll and nothing more: one thread, one
 * epoll set, level-triggered, one read into one 64 KiB buffer per readiness event and one write
 * straight back. Switchboard's engines are measured against it in the same run
 * (switchboard-bench --engines c-epoll, which compiles this file with cc -O2).
 *
 * Usage: epoll-echo [PORT]   (0 or nothing: any free port). Listens on 127.0.0.1 and prints
 * "listening on 127.0.0.1:PORT (echo, c-epoll)" when ready, like `switchboard serve`. Exits 0 on
 * SIGTERM or SIGINT.
 *
 * Back-pressure: when a write takes only part of what was read, the rest is kept for that client
 * and the client is not read again (EPOLLOUT only) until it has all been written. So a client
 * that never reads costs at most one read's worth of memory, never more.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKLOG 4096
#define MAX_EVENTS 256
#define READ_SIZE (64 * 1024)

/* Everything in the epoll set is one of these; the listener and the signalfd are two static ones. */
struct conn {
    int fd;
    char *pending;   /* bytes read but not yet written back (malloc'd), or NULL */
    size_t off, len; /* pending[off..len) is still to be written */
};

static char buffer[READ_SIZE]; /* one read buffer for every client: the server is one thread */
static int ep;

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

static void watch(struct conn *c, int op, unsigned events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(ep, op, c->fd, &ev) < 0)
        fail("epoll_ctl");
}

static void drop(struct conn *c)
{
    close(c->fd); /* also removes it from the epoll set */
    free(c->pending);
    free(c);
}

/* Writes what is pending; returns 0 when all of it is out, 1 when some is left, -1 on error. */
static int flush(struct conn *c)
{
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->pending + c->off, c->len - c->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
        c->off += (size_t)n;
    }
    free(c->pending); /* an idle client holds no buffer */
    c->pending = NULL;
    c->off = c->len = 0;
    return 0;
}

/* One read, echoed with one write; what the write did not take is kept and reading stops. */
static void on_readable(struct conn *c)
{
    ssize_t n = read(c->fd, buffer, sizeof buffer);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        drop(c); /* end of stream or an error (a reset) */
        return;
    }
    if (n < 0)
        return;
    ssize_t w = write(c->fd, buffer, (size_t)n);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        drop(c);
        return;
    }
    if (w < 0)
        w = 0;
    if (w == n)
        return;
    c->len = (size_t)(n - w);
    c->off = 0;
    c->pending = malloc(c->len);
    if (c->pending == NULL)
        fail("malloc");
    memcpy(c->pending, buffer + w, c->len);
    /* Stop reading until the backlog is out. Not EPOLLRDHUP either: level-triggered, it would
     * report a half-closed client over and over while its socket is not writable. */
    watch(c, EPOLL_CTL_MOD, EPOLLOUT);
}

static void on_writable(struct conn *c)
{
    int left = flush(c);
    if (left < 0)
        drop(c);
    else if (left == 0)
        watch(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP); /* read again */
}

/* Accepts until the listen queue is empty: one readiness event may stand for many connections. */
static void on_accept(int listener)
{
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                perror("accept4"); /* EMFILE and the like: the connection waits in the queue */
            return;
        }
        int one = 1; /* as Switchboard's engines do: small echoes are not held back by Nagle */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (c == NULL)
            fail("calloc");
        c->fd = fd;
        watch(c, EPOLL_CTL_ADD, EPOLLIN | EPOLLRDHUP);
    }
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    if (port < 0 || port > 65535) {
        fprintf(stderr, "epoll-echo: bad port '%s'\n", argv[1]);
        return 2;
    }

    /* SIGTERM and SIGINT arrive as a readable signalfd in the same epoll set; a write to a reset
     * client is an EPIPE error, not a SIGPIPE that ends the process. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop, NULL) < 0)
        fail("sigprocmask");
    signal(SIGPIPE, SIG_IGN);
    struct conn signals = {.fd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC)};
    if (signals.fd < 0)
        fail("signalfd");

    struct conn listener = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (listener.fd < 0)
        fail("socket");
    int one = 1;
    if (setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        fail("setsockopt SO_REUSEADDR");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t addr_len = sizeof addr;
    if (bind(listener.fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        fail("bind");
    if (listen(listener.fd, BACKLOG) < 0)
        fail("listen");
    if (getsockname(listener.fd, (struct sockaddr *)&addr, &addr_len) < 0)
        fail("getsockname");

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        fail("epoll_create1");
    watch(&listener, EPOLL_CTL_ADD, EPOLLIN);
    watch(&signals, EPOLL_CTL_ADD, EPOLLIN);
    printf("listening on 127.0.0.1:%d (echo, c-epoll)\n", ntohs(addr.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            unsigned ev = events[i].events;
            if (c == &signals)
                return 0; /* SIGTERM or SIGINT: the kernel closes the rest */
            if (c == &listener)
                on_accept(listener.fd);
            else if (ev & (EPOLLERR | EPOLLHUP))
                drop(c);
            else if (ev & EPOLLOUT)
                on_writable(c);
            else if (ev & (EPOLLIN | EPOLLRDHUP))
                on_readable(c); /* after a half-close, reads what is left; the read of 0 closes */
        }
    }
}
