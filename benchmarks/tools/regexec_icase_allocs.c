// Evidence for benchmarks/README.md ("Why routing allocates"): glibc's regexec mallocs a
// case-folded copy of the input on every call when the regex was compiled with REG_ICASE,
// and nothing when it was not. Mode 1 compiles with REG_ICASE, then turns the exec-time
// folding off (translate table, RE_ICASE syntax bit) and feeds input folded as glibc folds
// it in a single-byte locale (toupper(tolower(c))): same answers, no per-call malloc.
//   gcc -O2 -o /tmp/regexec_icase_allocs benchmarks/tools/regexec_icase_allocs.c
//   valgrind /tmp/regexec_icase_allocs 0 '^(cookie.9ai9.net)' COOKIE.9ai9.NET   # 1000 regexec
//   valgrind /tmp/regexec_icase_allocs 1 '^(cookie.9ai9.net)' COOKIE.9ai9.NET
// and compare valgrind's "total heap usage" (1,164 vs 164 allocs here, both 1000 hits).
#define _GNU_SOURCE
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s 0|1 REGEX TEXT\n", argv[0]); return 2; }
    int trick = atoi(argv[1]);
    regex_t re;
    regcomp(&re, argv[2], REG_EXTENDED | REG_NOSUB | REG_ICASE);
    unsigned char *saved = re.translate;
    if (trick) { re.translate = NULL; re.syntax &= ~RE_ICASE; }
    char buf[256]; size_t n = strlen(argv[3]);
    int hits = 0;
    for (int i = 0; i < 1000; i++) {
        for (size_t k = 0; k <= n; k++) buf[k] = trick ? toupper(tolower((unsigned char)argv[3][k])) : argv[3][k];
        hits += regexec(&re, buf, 0, NULL, 0) == 0;
    }
    printf("hits %d\n", hits);
    re.translate = saved;
    regfree(&re);
    return 0;
}
