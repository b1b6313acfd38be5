// Writes the LZ4 interoperability fixtures (Tests/LSMTests/Fixtures/lz4/): inputs of several kinds, NAME.raw, and
// what the reference liblz4 compresses them to, NAME.lz4 (LZ4_compress_default) and, for some, NAME.hc.lz4
// (LZ4_compress_HC at its highest level, which finds longer and farther matches). Each output is checked with
// LZ4_decompress_safe before it is written. Run through scripts/lz4-fixtures.sh; the inputs are made from a fixed
// seed, so a rerun with the same liblz4 writes the same files.
//
// liblz4's header is not needed (nor on a fresh machine): the three functions are declared here, and the program
// links against the runtime library, liblz4.so.1.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LZ4_compress_default(const char *source, char *dest, int sourceSize, int maxDestSize);
int LZ4_compress_HC(const char *source, char *dest, int sourceSize, int maxDestSize, int compressionLevel);
int LZ4_decompress_safe(const char *source, char *dest, int compressedSize, int maxDecompressedSize);

enum { hcLevel = 12 };

static const char *directory;
static uint64_t seed = 0x6C7A3466697874ULL;

static uint64_t next_random(void) {
    // splitmix64
    uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// A growable byte buffer holding one input.
struct buffer {
    unsigned char *bytes;
    size_t count, capacity;
};

static void append(struct buffer *b, const void *bytes, size_t count) {
    if (b->count + count > b->capacity) {
        b->capacity = (b->count + count) * 2 + 64;
        b->bytes = realloc(b->bytes, b->capacity);
        if (!b->bytes) { perror("realloc"); exit(1); }
    }
    memcpy(b->bytes + b->count, bytes, count);
    b->count += count;
}

static void append_byte(struct buffer *b, unsigned char byte, size_t times) {
    for (size_t i = 0; i < times; i++) append(b, &byte, 1);
}

// Appends `count` bytes of the buffer itself, from offset `from` (grown first, so the source stays valid).
static void append_earlier(struct buffer *b, size_t from, size_t count) {
    append_byte(b, 0, count);
    memcpy(b->bytes + b->count - count, b->bytes + from, count);
}

static void append_random(struct buffer *b, size_t count) {
    for (size_t i = 0; i < count; i++) append_byte(b, (unsigned char)next_random(), 1);
}

static void append_string(struct buffer *b, const char *text) { append(b, text, strlen(text)); }

// Words drawn from a small vocabulary: text with many short, near matches.
static void append_text(struct buffer *b, size_t count) {
    static const char *words[] = {
        "the", "of", "and", "a", "to", "in", "is", "that", "table", "block", "key", "value", "compaction", "level",
        "memtable", "write", "read", "sorted", "merge", "file", "database", "index", "filter", "checksum", "sequence",
    };
    size_t end = b->count + count;
    while (b->count < end) {
        const char *word = words[next_random() % (sizeof words / sizeof *words)];
        size_t room = end - b->count;
        size_t length = strlen(word);
        append(b, word, length < room ? length : room);
        if (b->count < end) append_byte(b, next_random() % 9 == 0 ? '.' : ' ', 1);
    }
}

static void write_file(const char *name, const char *suffix, const void *bytes, size_t count) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", directory, name, suffix);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(bytes, 1, count, file) != count || fclose(file) != 0) { perror(path); exit(1); }
    printf("%s (%zu bytes)\n", path, count);
}

// Compresses `input` with liblz4 (`hc`: the high-compression compressor), checks that it decompresses back, and
// writes the compressed bytes as NAME.lz4 or NAME.hc.lz4.
static void write_compressed(const char *name, const struct buffer *input, int hc) {
    int bound = (int)input->count + (int)input->count / 255 + 16;
    char *compressed = malloc((size_t)bound);
    char *check = malloc(input->count + 1);
    if (!compressed || !check) { perror("malloc"); exit(1); }
    int size = hc ? LZ4_compress_HC((const char *)input->bytes, compressed, (int)input->count, bound, hcLevel)
                  : LZ4_compress_default((const char *)input->bytes, compressed, (int)input->count, bound);
    if (size <= 0) { fprintf(stderr, "%s: liblz4 failed to compress\n", name); exit(1); }
    int back = LZ4_decompress_safe(compressed, check, size, (int)input->count);
    if (back != (int)input->count || memcmp(check, input->bytes, input->count) != 0) {
        fprintf(stderr, "%s: liblz4 does not decompress its own output\n", name);
        exit(1);
    }
    write_file(name, hc ? ".hc.lz4" : ".lz4", compressed, (size_t)size);
    free(compressed);
    free(check);
}

static void fixture(const char *name, struct buffer *input, int alsoHC) {
    write_file(name, ".raw", input->bytes, input->count);
    write_compressed(name, input, 0);
    if (alsoHC) write_compressed(name, input, 1);
    free(input->bytes);
    *input = (struct buffer){0};
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
        return 2;
    }
    directory = argv[1];
    struct buffer b = {0};

    fixture("empty", &b, 0);

    append_string(&b, "A");
    fixture("one-byte", &b, 0);

    // Too short for a match (a match must start 12 bytes before the end): all literals.
    append_string(&b, "abcabcabcabc");
    fixture("twelve-bytes", &b, 0);

    append_byte(&b, 'z', 13);
    fixture("thirteen-bytes", &b, 0);

    append_text(&b, 6000);
    fixture("text", &b, 1);

    for (int i = 0; i < 220; i++) append_string(&b, "The quick brown fox jumps over the lazy dog. ");
    fixture("repetitive", &b, 0);

    append_random(&b, 4096);
    fixture("random", &b, 0);

    // Runs of one byte, some long enough to need many match-length bytes.
    static const size_t runs[] = {1, 4, 15, 18, 19, 20, 270, 271, 274, 529, 4096, 9000};
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        append_random(&b, 3);
        append_byte(&b, (unsigned char)(0x30 + i), runs[i]);
    }
    append_random(&b, 8);
    fixture("runs", &b, 1);

    // Literal runs around the lengths where the token's field and extension bytes change (14..16, 269..271,
    // 524..526), each followed by a repeat of an earlier stretch.
    static const size_t literals[] = {1, 14, 15, 16, 269, 270, 271, 524, 525, 526};
    append_text(&b, 64);
    for (size_t i = 0; i < sizeof literals / sizeof *literals; i++) {
        append_random(&b, literals[i]);
        append_earlier(&b, 0, 24);
    }
    append_random(&b, 16);
    fixture("literal-lengths", &b, 0);

    // Matches with offsets 1 to 4 that overlap the bytes they produce, of various lengths.
    static const char *patterns[] = {"a", "bc", "def", "ghij"};
    for (int round = 0; round < 3; round++) {
        for (int p = 0; p < 4; p++) {
            append_random(&b, 2);
            size_t length = 5 + (size_t)(next_random() % (round == 2 ? 700 : 40));
            for (size_t i = 0; i < length; i++) append_byte(&b, (unsigned char)patterns[p][i % strlen(patterns[p])], 1);
        }
    }
    append_random(&b, 7);
    fixture("overlapping-matches", &b, 1);

    // Over 64 KiB: a random stretch repeated just inside the 65,535-byte window, and text around it.
    append_random(&b, 12000);
    append_text(&b, 52000);
    append_earlier(&b, 0, 12000);
    append_text(&b, 6000);
    append_earlier(&b, b.count - 70000, 3000);
    append_random(&b, 100);
    fixture("far-matches", &b, 1);

    // Entries like a table's data block: 16-digit keys, then values half random and half a repeat of their start
    // (as the benchmark's values).
    for (int i = 0; i < 40; i++) {
        char key[32];
        snprintf(key, sizeof key, "%016d", 1000 + i * 37);
        append_byte(&b, 0, 1);
        append_byte(&b, 24, 1);
        append_byte(&b, 100, 1);
        append_string(&b, key);
        append_random(&b, 1);
        append_byte(&b, 0, 7);
        size_t start = b.count;
        append_random(&b, 50);
        append_earlier(&b, start, 50);
    }
    fixture("table-entries", &b, 0);
    return 0;
}
