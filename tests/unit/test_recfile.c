/* Unit tests of the recording file format (src/common/recfile*.c): a round
 * trip, a file read while it grows, a torn last record (cut short, or
 * zeros after a power loss) skipped, corruption in the middle, another
 * version, not a recording, a truncated header, and appending after a
 * crash. Every error must name the file and the offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mpwrite.h"
#include "common/recfile.h"

#define START_NS 1750000000123000000LL /* a start time, 2025 */
#define TICKS 3                        /* ticks written by write_file */
#define ZEROS_BYTES 8192               /* a power loss's unwritten blocks */
#define CRC_0_TO_36 0x8222efe9u        /* zlib.crc32(bytes(range(37))) */
#define CRC_1_TO_9 0x40efab9eu         /* zlib.crc32(bytes(range(1, 10))) */

struct fixture {
    char dir[64];   /* temp dir */
    char path[96];  /* the recording in it */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/hamd-recfile-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/rec.hrec", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A tick body {"vt_symbol": "rb2601.SHFE", "n": n} (any map will do). */
static size_t body_of(int n, uint8_t *buf, size_t cap)
{
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    msgpack_pack_map(&w.pk, 2);
    hamd_mpw_str(&w, "vt_symbol");
    hamd_mpw_str(&w, "rb2601.SHFE");
    hamd_mpw_str(&w, "n");
    msgpack_pack_int64(&w.pk, n);
    return hamd_mpw_finish(&w);
}

static struct hamd_recfile_writer *open_writer(const char *path, bool append)
{
    struct hamd_recfile_header hdr = {.start_ns = START_NS, .pid = 42};
    strcpy(hdr.producer, "test_recfile");
    strcpy(hdr.host, "unit");
    struct hamd_recfile_wopts opts = {.append = append};
    char err[HAMD_RECFILE_ERR_MAX];
    struct hamd_recfile_writer *w =
        hamd_recfile_writer_open(path, &hdr, &opts, err, sizeof err);
    if (!w)
        fail_msg("writer_open: %s", err);
    return w;
}

static void write_tick(struct hamd_recfile_writer *w, int n)
{
    uint8_t body[64];
    size_t len = body_of(n, body, sizeof body);
    assert_int_equal(hamd_recfile_writer_tick(w, "rb2601.SHFE", 11, body, len,
                                              START_NS + n), 0);
}

/* Writes TICKS ticks (n = 1..TICKS) and closes. */
static void write_file(const char *path)
{
    struct hamd_recfile_writer *w = open_writer(path, false);
    for (int n = 1; n <= TICKS; n++)
        write_tick(w, n);
    assert_int_equal(hamd_recfile_writer_close(&w, NULL, 0), 0);
    assert_null(w);
}

static struct hamd_recfile_reader *open_reader(const char *path)
{
    char err[HAMD_RECFILE_ERR_MAX];
    struct hamd_recfile_reader *r = hamd_recfile_reader_open(path, err,
                                                             sizeof err);
    if (!r)
        fail_msg("reader_open: %s", err);
    return r;
}

/* The reader's next record must be tick n. */
static void expect_tick(struct hamd_recfile_reader *r, int n)
{
    struct hamd_recfile_record rec;
    uint8_t body[64];
    size_t len = body_of(n, body, sizeof body);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_OK);
    assert_int_equal(rec.kind, HAMD_RECFILE_TICK);
    assert_int_equal(rec.ns, START_NS + n);
    assert_int_equal(rec.topic_len, 11);
    assert_memory_equal(rec.topic, "rb2601.SHFE", 11);
    assert_int_equal(rec.body_len, len);
    assert_memory_equal(rec.body, body, len);
}

static off_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* Overwrites len bytes at offset with data. */
static void patch(const char *path, off_t offset, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, offset), (ssize_t)len);
    close(fd);
}

/* Opening must fail with an error naming the file and containing what. */
static void expect_open_error(const char *path, const char *what)
{
    char err[HAMD_RECFILE_ERR_MAX];
    assert_null(hamd_recfile_reader_open(path, err, sizeof err));
    if (!strstr(err, path) || !strstr(err, what))
        fail_msg("error '%s' lacks '%s' or the path", err, what);
}

/* Offset of the record after `skip` ticks: walks a reader. */
static int64_t offset_of_tick(const char *path, int skip)
{
    struct hamd_recfile_reader *r = open_reader(path);
    struct hamd_recfile_record rec;
    for (int i = 0; i < skip; i++)
        assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_OK);
    int64_t at = hamd_recfile_reader_offset(r);
    hamd_recfile_reader_destroy(&r);
    return at;
}

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

static void test_crc32_is_zlib_crc32(void **state)
{
    (void)state;
    assert_int_equal(hamd_recfile_crc32("123456789", 9), 0xCBF43926u);
    assert_int_equal(hamd_recfile_crc32("", 0), 0);
    /* every length and alignment through the 8-byte steps: python3 -c
     * 'import zlib; print(hex(zlib.crc32(bytes(range(37)))))' */
    uint8_t bytes[37];
    for (unsigned i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)i;
    assert_int_equal(hamd_recfile_crc32(bytes, sizeof bytes), CRC_0_TO_36);
    assert_int_equal(hamd_recfile_crc32(bytes + 1, 9), CRC_1_TO_9);
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct hamd_recfile_writer *w = open_writer(f->path, false);
    write_tick(w, 1);
    uint8_t gap[32];
    size_t gap_len = body_of(7, gap, sizeof gap);
    assert_int_equal(hamd_recfile_writer_record(w, "gap", START_NS + 5, gap,
                                                gap_len), 0);
    write_tick(w, 2);
    assert_int_equal(hamd_recfile_writer_records(w), 3);
    assert_int_equal(hamd_recfile_writer_close(&w, NULL, 0), 0);

    struct hamd_recfile_reader *r = open_reader(f->path);
    const struct hamd_recfile_header *h = hamd_recfile_reader_header(r);
    assert_int_equal(h->start_ns, START_NS);
    assert_string_equal(h->producer, "test_recfile");
    assert_string_equal(h->host, "unit");
    assert_int_equal(h->pid, 42);
    expect_tick(r, 1);
    struct hamd_recfile_record rec;
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_OK);
    assert_int_equal(rec.kind, HAMD_RECFILE_OTHER);
    assert_int_equal(rec.kind_len, 3);
    assert_memory_equal(rec.kind_name, "gap", 3);
    assert_int_equal(rec.body_len, gap_len);
    assert_memory_equal(rec.body, gap, gap_len);
    expect_tick(r, 2);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
    assert_int_equal(hamd_recfile_reader_pending(r), 0);
    assert_int_equal(hamd_recfile_reader_offset(r), file_size(f->path));
    hamd_recfile_reader_destroy(&r);
    assert_null(r);
}

static void test_reader_sees_growth(void **state)
{
    struct fixture *f = *state;
    struct hamd_recfile_writer *w = open_writer(f->path, false);
    write_tick(w, 1);
    struct hamd_recfile_reader *r = open_reader(f->path);
    struct hamd_recfile_record rec;
    expect_tick(r, 1);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
    write_tick(w, 2);
    write_tick(w, 3);
    expect_tick(r, 2);
    expect_tick(r, 3);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
    hamd_recfile_reader_destroy(&r);
    assert_int_equal(hamd_recfile_writer_close(&w, NULL, 0), 0);
}

static void test_flush_ms_holds_records_until_flush(void **state)
{
    struct fixture *f = *state;
    struct hamd_recfile_header hdr = {.start_ns = START_NS};
    struct hamd_recfile_wopts opts = {.flush_ms = 3600 * 1000};
    char err[HAMD_RECFILE_ERR_MAX];
    struct hamd_recfile_writer *w =
        hamd_recfile_writer_open(f->path, &hdr, &opts, err, sizeof err);
    assert_non_null(w);
    write_tick(w, 1);
    struct hamd_recfile_reader *r = open_reader(f->path);
    struct hamd_recfile_record rec;
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
    assert_true(hamd_recfile_writer_size(w) > file_size(f->path));
    assert_int_equal(hamd_recfile_writer_flush(w), 0);
    expect_tick(r, 1);
    hamd_recfile_reader_destroy(&r);
    assert_int_equal(hamd_recfile_writer_close(&w, NULL, 0), 0);
}

/* A record cut short, whatever its length, is skipped as torn; the file
 * grown back to whole records reads on. */
static void test_torn_last_record_is_skipped(void **state)
{
    struct fixture *f = *state;
    write_file(f->path);
    off_t size = file_size(f->path);
    int64_t last = offset_of_tick(f->path, TICKS - 1);
    for (off_t cut = size - 1; cut > last; cut -= 3) {
        assert_int_equal(truncate(f->path, cut), 0);
        struct hamd_recfile_reader *r = open_reader(f->path);
        struct hamd_recfile_record rec;
        for (int n = 1; n < TICKS; n++)
            expect_tick(r, n);
        assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
        assert_int_equal(hamd_recfile_reader_offset(r), last);
        assert_int_equal(hamd_recfile_reader_pending(r), cut - last);
        hamd_recfile_reader_destroy(&r);
    }
}

/* After a power loss the last block may hold zeros: a record of zeros
 * (length 0), and a whole-looking record with a bad CRC followed by
 * zeros, are a torn end too. */
static void test_zeros_after_power_loss_are_a_torn_end(void **state)
{
    struct fixture *f = *state;
    write_file(f->path);
    off_t size = file_size(f->path);
    static const uint8_t zeros[ZEROS_BYTES];
    patch(f->path, size, zeros, sizeof zeros);
    struct hamd_recfile_reader *r = open_reader(f->path);
    struct hamd_recfile_record rec;
    for (int n = 1; n <= TICKS; n++)
        expect_tick(r, n);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
    assert_int_equal(hamd_recfile_reader_pending(r), ZEROS_BYTES);
    hamd_recfile_reader_destroy(&r);

    /* zero the last payload's tail: its CRC no longer matches */
    patch(f->path, size - 4, zeros, 4);
    r = open_reader(f->path);
    for (int n = 1; n < TICKS; n++)
        expect_tick(r, n);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
    assert_int_equal(hamd_recfile_reader_offset(r),
                     offset_of_tick(f->path, TICKS - 1));
    hamd_recfile_reader_destroy(&r);
}

/* A damaged record with good ones after it is corruption: an error naming
 * the file and the record's offset, not a silent skip. */
static void test_corrupt_middle_record_names_offset(void **state)
{
    struct fixture *f = *state;
    write_file(f->path);
    int64_t second = offset_of_tick(f->path, 1);
    uint8_t junk = 0x5a;
    patch(f->path, second + 12, &junk, 1); /* inside its payload */
    struct hamd_recfile_reader *r = open_reader(f->path);
    struct hamd_recfile_record rec;
    expect_tick(r, 1);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_ERR);
    char want[64];
    snprintf(want, sizeof want, "offset %lld: CRC mismatch", (long long)second);
    const char *err = hamd_recfile_reader_error(r);
    if (!strstr(err, want) || !strstr(err, f->path))
        fail_msg("error '%s' lacks '%s' or the path", err, want);
    hamd_recfile_reader_destroy(&r);

    /* a length beyond the maximum, data after it: corrupt as well */
    unlink(f->path);
    write_file(f->path);
    uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
    patch(f->path, second, huge, sizeof huge);
    r = open_reader(f->path);
    expect_tick(r, 1);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_ERR);
    assert_non_null(strstr(hamd_recfile_reader_error(r), "bad record length"));
    hamd_recfile_reader_destroy(&r);
}

static void test_other_version_is_refused(void **state)
{
    struct fixture *f = *state;
    write_file(f->path);
    uint8_t v2[4] = {0, 0, 0, 2};
    patch(f->path, 8, v2, sizeof v2);
    expect_open_error(f->path, "offset 8: unsupported recording version 2");
}

static void test_not_a_recording_is_refused(void **state)
{
    struct fixture *f = *state;
    FILE *fp = fopen(f->path, "w");
    fputs("symbol,datetime,last_price\nrb2601,2025-01-02 09:00:00,3500\n", fp);
    fclose(fp);
    expect_open_error(f->path, "offset 0: not a hamd recording");
    fp = fopen(f->path, "w");
    fclose(fp);
    expect_open_error(f->path, "offset 0: truncated");
    expect_open_error("/nonexistent/rec.hrec", "cannot open");
}

static void test_truncated_header_is_refused(void **state)
{
    struct fixture *f = *state;
    write_file(f->path);
    assert_int_equal(truncate(f->path, HAMD_RECFILE_PREAMBLE_BYTES + 20), 0);
    expect_open_error(f->path, "offset 16: truncated");
    assert_int_equal(truncate(f->path, 10), 0);
    expect_open_error(f->path, "offset 10: truncated");
}

/* A writer that crashed mid-record: appending cuts the torn bytes and
 * goes on; the file then reads to its end without a gap. */
static void test_append_cuts_torn_tail(void **state)
{
    struct fixture *f = *state;
    write_file(f->path);
    off_t size = file_size(f->path);
    assert_int_equal(truncate(f->path, size - 5), 0);
    struct hamd_recfile_writer *w = open_writer(f->path, true);
    int64_t last = offset_of_tick(f->path, TICKS - 1);
    assert_int_equal(hamd_recfile_writer_cut_bytes(w), size - 5 - last);
    write_tick(w, 9);
    assert_int_equal(hamd_recfile_writer_close(&w, NULL, 0), 0);
    struct hamd_recfile_reader *r = open_reader(f->path);
    struct hamd_recfile_record rec;
    for (int n = 1; n < TICKS; n++)
        expect_tick(r, n);
    expect_tick(r, 9);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
    assert_int_equal(hamd_recfile_reader_pending(r), 0);
    hamd_recfile_reader_destroy(&r);
}

/* An empty file (created, its first write lost) is started on append, not
 * refused as a truncated recording: a recorder restarted by systemd would
 * otherwise fail on it for ever. */
static void test_append_starts_an_empty_file(void **state)
{
    struct fixture *f = *state;
    int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
    struct hamd_recfile_writer *w = open_writer(f->path, true);
    assert_int_equal(hamd_recfile_writer_cut_bytes(w), 0);
    write_tick(w, 1);
    assert_int_equal(hamd_recfile_writer_close(&w, NULL, 0), 0);
    struct hamd_recfile_reader *r = open_reader(f->path);
    struct hamd_recfile_record rec;
    expect_tick(r, 1);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
    assert_int_equal(hamd_recfile_reader_pending(r), 0);
    hamd_recfile_reader_destroy(&r);
}

static void test_writer_refuses_bad_input(void **state)
{
    struct fixture *f = *state;
    write_file(f->path);
    struct hamd_recfile_header hdr = {.start_ns = START_NS};
    struct hamd_recfile_wopts opts = {0};
    char err[HAMD_RECFILE_ERR_MAX];
    assert_null(hamd_recfile_writer_open(f->path, &hdr, &opts, err, sizeof err));
    assert_non_null(strstr(err, "append to continue it"));
    struct hamd_recfile_writer *w = open_writer(f->path, true);
    /* a second writer on the same file is refused */
    assert_null(hamd_recfile_writer_open(f->path, &hdr,
                                         &(struct hamd_recfile_wopts){.append = true},
                                         err, sizeof err));
    assert_non_null(strstr(err, "another writer"));
    static const uint8_t not_map[] = {0x93, 1, 2, 3};       /* [1,2,3] */
    static const uint8_t two_maps[] = {0x80, 0x80};         /* {} {} */
    assert_int_equal(hamd_recfile_writer_tick(w, "x.Y", 3, not_map,
                                              sizeof not_map, 1), -1);
    assert_int_equal(hamd_recfile_writer_tick(w, "x.Y", 3, two_maps,
                                              sizeof two_maps, 1), -1);
    assert_int_equal(hamd_recfile_writer_record(w, "header", 1, two_maps, 1), -1);
    assert_int_equal(hamd_recfile_writer_records(w), 0);
    assert_int_equal(hamd_recfile_writer_close(&w, NULL, 0), 0);
    /* nothing was added: the file still reads TICKS ticks and ends */
    struct hamd_recfile_reader *r = open_reader(f->path);
    struct hamd_recfile_record rec;
    for (int n = 1; n <= TICKS; n++)
        expect_tick(r, n);
    assert_int_equal(hamd_recfile_reader_next(r, &rec), HAMD_RECFILE_END);
    hamd_recfile_reader_destroy(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_is_zlib_crc32),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_sees_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_ms_holds_records_until_flush,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_record_is_skipped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_zeros_after_power_loss_are_a_torn_end,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_middle_record_names_offset,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_version_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_not_a_recording_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_truncated_header_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_append_cuts_torn_tail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_append_starts_an_empty_file,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_refuses_bad_input, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
