/*
 * Replays a fuzz target's corpus without libFuzzer: every file in the folders
 * given on the command line is passed once to LLVMFuzzerTestOneInput. Built
 * with the ordinary compiler under the sanitizer build, so the corpus (seeds
 * and crashes found earlier) is a regression test in every `make test`.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
    if (data == NULL) {
        fclose(f);
        return -1;
    }
    size_t got = fread(data, 1, (size_t)(size > 0 ? size : 0), f);
    fclose(f);
    LLVMFuzzerTestOneInput(data, got);
    free(data);
    return 1;
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; i++) {
        DIR *dir = opendir(argv[i]);
        if (dir == NULL) {
            count += replay_file(argv[i]) > 0;
            continue;
        }
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            if (entry->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], entry->d_name);
            count += replay_file(path) > 0;
        }
        closedir(dir);
    }
    printf("replayed %d inputs\n", count);
    return 0;
}
