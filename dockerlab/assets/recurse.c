/* recurse.c: how deep can a thread recurse before its stack runs out?
 *
 *   recurse [-s BYTES] [-m] FRAME DEPTH
 *
 * Starts ONE thread with default attributes (pthread_create(..., NULL, ...))
 * and recurses DEPTH levels in it, each level holding a FRAME-byte buffer on
 * the stack. When the stack runs out, the thread touches the guard page below
 * it and the kernel kills the whole process with SIGSEGV: a shell reports exit
 * status 139 (128 + 11). Otherwise it prints what it reached and exits 0.
 *
 *   -s BYTES   give the thread a stack of BYTES with pthread_attr_setstacksize
 *              (the fix a program can apply itself)
 *   -m         recurse in the main thread instead (its stack grows to `ulimit -s`)
 *
 * The recursion cannot be optimised away: the buffer is volatile and touched
 * from its top down (so an overflow lands on the guard page, never beyond it),
 * the function is noinline, it uses its buffer after the recursive call (no
 * tail call), and the kit compiles it with -O0 -fstack-clash-protection.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job {
    long depth;       /* levels to recurse */
    size_t frame;     /* bytes of buffer per level */
    long reached;     /* deepest level reached */
    size_t stack;     /* the running thread's stack size, as the libc reports it */
};

static __attribute__((noinline)) long recurse(long level, struct job *job) {
    volatile char buf[job->frame];
    /* Touch every 256th byte, top (nearest the caller) first. */
    for (size_t i = job->frame; i > 0; i = i > 256 ? i - 256 : 0) buf[i - 1] = (char)level;
    buf[0] = (char)level;
    job->reached = level;
    long below = level < job->depth ? recurse(level + 1, job) : level;
    return below + buf[level % job->frame] - (char)level; /* uses buf after the call */
}

static void *work(void *arg) {
    struct job *job = arg;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstacksize(&attr, &job->stack);
        pthread_attr_destroy(&attr);
    }
    if (job->depth > 0) recurse(1, job);
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: recurse [-s STACK_BYTES] [-m] FRAME_BYTES DEPTH\n");
    exit(2);
}

int main(int argc, char **argv) {
    long stack_bytes = 0;
    int in_main = 0, opt;
    while ((opt = getopt(argc, argv, "s:m")) != -1) {
        if (opt == 's') stack_bytes = atol(optarg);
        else if (opt == 'm') in_main = 1;
        else usage();
    }
    if (argc - optind != 2) usage();
    struct job job = {atol(argv[optind + 1]), (size_t)atol(argv[optind]), 0, 0};
    if (job.frame < 1 || job.depth < 0) usage();

    if (in_main) {
        if (job.depth > 0) recurse(1, &job); /* main thread: grows on demand up to `ulimit -s` */
    } else {
        pthread_t t;
        pthread_attr_t attr, *ap = NULL; /* NULL: the libc's default attributes */
        if (stack_bytes > 0) {
            pthread_attr_init(&attr);
            int err = pthread_attr_setstacksize(&attr, (size_t)stack_bytes);
            if (err) {
                fprintf(stderr, "pthread_attr_setstacksize: %s\n", strerror(err));
                return 3;
            }
            ap = &attr;
        }
        int err = pthread_create(&t, ap, work, &job);
        if (err) {
            fprintf(stderr, "pthread_create: %s\n", strerror(err));
            return 3;
        }
        pthread_join(t, NULL);
    }
    if (in_main)
        printf("reached depth %ld with %zu-byte frames in the main thread\n", job.reached,
               job.frame);
    else
        printf("reached depth %ld with %zu-byte frames; thread stack: %zu bytes\n", job.reached,
               job.frame, job.stack);
    return 0;
}
