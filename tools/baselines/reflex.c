// reflex: the kernel-loopback floor for tick-to-trade. For every UDP datagram it receives
// (an ITCH-in-MoldUDP64 packet from the benchmark) it sends one fixed FIX 4.4 NewOrderSingle
// on a TCP connection at once, through io_uring, busy-polling the completion queue. It never
// parses the datagram: whatever Quorum does beyond this is Quorum's overhead.
//
// Build: cc -O2 -o reflex reflex.c -luring
// Run:   reflex -u 9001 -c 127.0.0.1:9100 [-n 100000] [-L] [-s QUORUM] [-t SIM] [-y AAPL] [-b]
//
// Each order carries MsgSeqNum (34) and ClOrdID (11) as fixed-width, zero-padded counters
// (FIX 4.4 permits leading zeros in int fields) incremented in place; BodyLength is fixed and
// CheckSum is recomputed per order. With -L a Logon (MsgSeqNum 1) goes out first and orders
// start at 2. Bytes arriving on the TCP connection are read and discarded.
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { TAG_UDP = 1, TAG_SEND = 2, TAG_TCP_RECV = 3 };
enum { SEQ_WIDTH = 9 };

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s -u UDP_PORT -c HOST:PORT [options]\n"
            "  -u PORT       UDP port to receive market data on (bound on 0.0.0.0)\n"
            "  -c HOST:PORT  FIX acceptor to connect to (IPv4)\n"
            "  -n COUNT      exit after COUNT orders (default: run until killed)\n"
            "  -L            send a FIX Logon (35=A, HeartBtInt 30) before the first order\n"
            "  -s SENDER     SenderCompID (default QUORUM)\n"
            "  -t TARGET     TargetCompID (default SIM)\n"
            "  -y SYMBOL     Symbol (default AAPL)\n"
            "  -b            block in io_uring_wait_cqe instead of busy-polling\n",
            argv0);
    exit(2);
}

static int fail(const char *what, int err) {
    fprintf(stderr, "reflex: %s: %s\n", what, strerror(err));
    exit(1);
}

// A FIX message with its BodyLength and CheckSum filled in; returns its length.
// `body` is everything after "9=…\x01" up to (not including) "10=".
static int build_fix(char *out, size_t cap, const char *body) {
    int body_len = (int)strlen(body);
    int n = snprintf(out, cap, "8=FIX.4.4\0019=%d\001%s", body_len, body);
    unsigned sum = 0;
    for (int i = 0; i < n; i++) sum += (unsigned char)out[i];
    n += snprintf(out + n, cap - n, "10=%03u\001", sum % 256);
    return n;
}

// Increments a zero-padded decimal field of `width` digits in place.
static void increment_digits(char *p, int width) {
    for (int i = width - 1; i >= 0; i--) {
        if (p[i] != '9') { p[i]++; return; }
        p[i] = '0';
    }
}

static void rewrite_checksum(char *msg, int len) {
    // The trailer is "10=NNN\x01": 7 bytes.
    unsigned sum = 0;
    for (int i = 0; i < len - 7; i++) sum += (unsigned char)msg[i];
    sum %= 256;
    msg[len - 4] = (char)('0' + sum / 100);
    msg[len - 3] = (char)('0' + sum / 10 % 10);
    msg[len - 2] = (char)('0' + sum % 10);
}

int main(int argc, char **argv) {
    int udp_port = -1, blocking = 0, logon = 0;
    long long limit = -1;
    const char *target = NULL, *sender = "QUORUM", *target_id = "SIM", *symbol = "AAPL";
    int opt;
    while ((opt = getopt(argc, argv, "u:c:n:Ls:t:y:bh")) != -1) {
        switch (opt) {
        case 'u': udp_port = atoi(optarg); break;
        case 'c': target = optarg; break;
        case 'n': limit = atoll(optarg); break;
        case 'L': logon = 1; break;
        case 's': sender = optarg; break;
        case 't': target_id = optarg; break;
        case 'y': symbol = optarg; break;
        case 'b': blocking = 1; break;
        default: usage(argv[0]);
        }
    }
    if (udp_port <= 0 || udp_port > 65535 || target == NULL) usage(argv[0]);

    char host[64];
    const char *colon = strrchr(target, ':');
    if (colon == NULL || colon - target >= (long)sizeof(host)) usage(argv[0]);
    memcpy(host, target, colon - target);
    host[colon - target] = 0;
    struct sockaddr_in tcp_addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &tcp_addr.sin_addr) != 1) {
        fprintf(stderr, "reflex: \"%s\" is not an IPv4 address\n", host);
        return 2;
    }

    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in udp_addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)udp_port)};
    if (udp < 0 || bind(udp, (struct sockaddr *)&udp_addr, sizeof(udp_addr)) != 0) fail("bind UDP", errno);

    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    if (tcp < 0) fail("socket", errno);
    setsockopt(tcp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(tcp, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)) != 0) fail("connect TCP", errno);

    // Prebuilt messages. The counters are the SEQ_WIDTH digits after "34=" and "11=".
    char body[512], order[640], logon_msg[256];
    unsigned long long seq = logon ? 2 : 1;
    snprintf(body, sizeof(body),
             "35=D\00149=%s\00156=%s\00134=%0*llu\00152=20260101-00:00:00.000\001"
             "11=%0*llu\00121=1\00155=%s\00154=1\00160=20260101-00:00:00.000\00138=100\00140=2\00144=100.00\001",
             sender, target_id, SEQ_WIDTH, seq, SEQ_WIDTH, 1ULL, symbol);
    int order_len = build_fix(order, sizeof(order), body);
    char *seq_field = strstr(order, "\00134=") + 4;
    char *id_field = strstr(order, "\00111=") + 4;

    struct io_uring ring;
    int rc = io_uring_queue_init(64, &ring, 0);
    if (rc < 0) fail("io_uring_queue_init", -rc);

    if (logon) {
        snprintf(body, sizeof(body),
                 "35=A\00149=%s\00156=%s\00134=1\00152=20260101-00:00:00.000\00198=0\001108=30\001",
                 sender, target_id);
        int n = build_fix(logon_msg, sizeof(logon_msg), body);
        if (send(tcp, logon_msg, n, 0) != n) fail("send Logon", errno);
    }

    static char datagram[2048], discard[4096];
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recv(sqe, udp, datagram, sizeof(datagram), 0);
    io_uring_sqe_set_data64(sqe, TAG_UDP);
    sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recv(sqe, tcp, discard, sizeof(discard), 0);
    io_uring_sqe_set_data64(sqe, TAG_TCP_RECV);
    io_uring_submit(&ring);

    long long sent = 0, in_flight = 0;
    int send_pending = 0;  // an order is in flight; the next one waits (the buffer is shared)
    long long queued = 0;  // datagrams that arrived while an order was in flight
    while (limit < 0 || sent < limit || in_flight > 0) {
        struct io_uring_cqe *cqe;
        rc = blocking ? io_uring_wait_cqe(&ring, &cqe) : io_uring_peek_cqe(&ring, &cqe);
        if (rc == -EAGAIN) continue;  // busy-poll: nothing yet, and nothing to submit
        if (rc < 0) fail("wait_cqe", -rc);
        uint64_t tag = io_uring_cqe_get_data64(cqe);
        int res = cqe->res;
        io_uring_cqe_seen(&ring, cqe);
        if (tag == TAG_UDP) {
            if (res < 0) fail("recv UDP", -res);
            if (limit < 0 || sent + queued + in_flight < limit) queued++;
            sqe = io_uring_get_sqe(&ring);
            io_uring_prep_recv(sqe, udp, datagram, sizeof(datagram), 0);
            io_uring_sqe_set_data64(sqe, TAG_UDP);
        } else if (tag == TAG_SEND) {
            if (res != order_len) fail("send order (short or failed)", res < 0 ? -res : EIO);
            send_pending = 0;
            in_flight--;
            sent++;
            increment_digits(seq_field, SEQ_WIDTH);
            increment_digits(id_field, SEQ_WIDTH);
            rewrite_checksum(order, order_len);
        } else if (tag == TAG_TCP_RECV) {
            if (res <= 0) { fprintf(stderr, "reflex: TCP peer closed\n"); break; }
            sqe = io_uring_get_sqe(&ring);
            io_uring_prep_recv(sqe, tcp, discard, sizeof(discard), 0);
            io_uring_sqe_set_data64(sqe, TAG_TCP_RECV);
        }
        if (queued > 0 && !send_pending) {
            queued--;
            send_pending = 1;
            in_flight++;
            sqe = io_uring_get_sqe(&ring);
            io_uring_prep_send(sqe, tcp, order, order_len, MSG_NOSIGNAL);
            io_uring_sqe_set_data64(sqe, TAG_SEND);
        }
        if (io_uring_sq_ready(&ring) > 0) io_uring_submit(&ring);
    }
    fprintf(stderr, "reflex: %lld orders sent\n", sent);
    io_uring_queue_exit(&ring);
    close(tcp);
    close(udp);
    return 0;
}
