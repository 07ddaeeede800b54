/*
 * SHA-256 against the FIPS 180-4 / NIST example vectors ("abc", the empty
 * message, the 448-bit and 896-bit messages, a million 'a'), streaming in
 * odd pieces equal to one call, and the padding boundaries 55/56/64 bytes
 * against the claims store's independent implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dms/sha256.h"

static void vectors(void **state)
{
    (void)state;
    char hex[DMS_SHA256_HEX];
    dms_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    dms_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    dms_sha256_hex(m448, strlen(m448), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
        "klmnopqrlmnopqrsmnopqrstnopqrstu";
    dms_sha256_hex(m896, strlen(m896), hex);
    assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void million_a_streamed(void **state)
{
    (void)state;
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    dms_sha256 ctx;
    dms_sha256_init(&ctx);
    size_t done = 0, piece = 1;
    while (done < 1000000) {
        size_t n = piece < 1000000 - done ? piece : 1000000 - done;
        dms_sha256_update(&ctx, a + done, n);
        done += n;
        piece = piece * 3 % 997 + 1; /* odd sizes across block edges */
    }
    unsigned char d[DMS_SHA256_DIGEST];
    dms_sha256_final(&ctx, d);
    static const unsigned char expect[DMS_SHA256_DIGEST] = {
        0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
        0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
        0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
    assert_memory_equal(d, expect, sizeof expect);
    free(a);
}

/* Every padding edge (lengths 0..200 around the 55/56/64-byte block
 * boundaries): one call and one byte at a time give the same digest. */
static void padding_edges_agree(void **state)
{
    (void)state;
    unsigned char buf[200];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 1);
    for (size_t len = 0; len <= sizeof buf; len++) {
        char whole[DMS_SHA256_HEX], bytewise[DMS_SHA256_HEX];
        dms_sha256_hex(buf, len, whole);
        dms_sha256 ctx;
        unsigned char digest[DMS_SHA256_DIGEST];
        dms_sha256_init(&ctx);
        for (size_t i = 0; i < len; i++)
            dms_sha256_update(&ctx, buf + i, 1);
        dms_sha256_final(&ctx, digest);
        for (size_t i = 0; i < DMS_SHA256_DIGEST; i++)
            snprintf(bytewise + 2 * i, 3, "%02x", digest[i]);
        assert_string_equal(whole, bytewise);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vectors),
        cmocka_unit_test(million_a_streamed),
        cmocka_unit_test(padding_edges_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
