/*
 * bulkhead-lister: lists ONE folder of a running container from a helper container that shares
 * its PID namespace (the container's root is /proc/1/root there). Statically linked, it is the
 * only file of the helper image. It reads nothing but names, lstat() and readlink(); it writes
 * nothing but its answer on stdout.
 *
 *   bulkhead-lister --idle [SECS] the helper's main process: waits for SIGTERM, or SECS
 *                                 seconds (the engine then removes the helper)
 *   bulkhead-lister PATH          chroot into /proc/1/root (links then resolve inside the
 *                                 container, as the container sees them), then lists PATH
 *
 * The answer: "BHL1", then one record per entry, little-endian:
 *   u32 name length, name bytes, u8 kind ('f' file, 'd' folder, 'l' link, 'o' other),
 *   u32 mode, u32 uid, u32 gid, u64 size, i64 mtime, u32 link length, link bytes
 * and a final u32 0xFFFFFFFF. Errors: a line on stderr and exit 2 (no such path),
 * 3 (not a folder), 4 (permission), 5 (anything else).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char buf[1 << 16];
static size_t used;

static void flush_out(void) {
    size_t off = 0;
    while (off < used) {
        ssize_t n = write(1, buf + off, used - off);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            _exit(5);
        }
        off += (size_t)n;
    }
    used = 0;
}

static void put(const void *p, size_t n) {
    const unsigned char *s = p;
    while (n > 0) {
        if (used == sizeof buf) flush_out();
        size_t k = sizeof buf - used < n ? sizeof buf - used : n;
        memcpy(buf + used, s, k);
        used += k;
        s += k;
        n -= k;
    }
}

static void put32(uint32_t v) {
    unsigned char b[4] = {v, v >> 8, v >> 16, v >> 24};
    put(b, 4);
}

static void put64(uint64_t v) {
    put32((uint32_t)v);
    put32((uint32_t)(v >> 32));
}

static int fail(int code, const char *what) {
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    return code;
}

static void on_term(int sig) {
    (void)sig;
    _exit(0);
}

int main(int argc, char **argv) {
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "--idle") == 0) {
        signal(SIGTERM, on_term);
        signal(SIGINT, on_term);
        signal(SIGALRM, on_term);
        if (argc == 3) alarm((unsigned)strtoul(argv[2], NULL, 10));
        for (;;) pause();
    }
    if (argc != 2 || argv[1][0] != '/') {
        fprintf(stderr, "usage: bulkhead-lister --idle [SECONDS] | bulkhead-lister /ABSOLUTE/PATH\n");
        return 5;
    }
    if (chroot("/proc/1/root") != 0) return fail(4, "chroot");
    if (chdir("/") != 0) return fail(5, "chdir");
    int dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int code = errno == ENOENT ? 2 : errno == ENOTDIR ? 3 : errno == EACCES || errno == EPERM ? 4 : 5;
        return fail(code, argv[1]);
    }
    DIR *d = fdopendir(dfd);
    if (!d) return fail(5, "fdopendir");
    put("BHL1", 4);
    struct dirent *e;
    char link[4096];
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        struct stat st;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue; /* gone meanwhile */
        char kind = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'o';
        ssize_t ln = 0;
        if (kind == 'l') {
            ln = readlinkat(dfd, e->d_name, link, sizeof link);
            if (ln < 0) ln = 0;
        }
        size_t nl = strlen(e->d_name);
        put32((uint32_t)nl);
        put(e->d_name, nl);
        put(&kind, 1);
        put32((uint32_t)st.st_mode);
        put32((uint32_t)st.st_uid);
        put32((uint32_t)st.st_gid);
        put64((uint64_t)st.st_size);
        put64((uint64_t)(int64_t)st.st_mtime);
        put32((uint32_t)ln);
        put(link, (size_t)ln);
    }
    if (errno != 0) return fail(5, "readdir");
    put32(0xFFFFFFFFu);
    flush_out();
    return 0;
}
