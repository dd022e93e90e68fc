/* Unit tests of cmd/options: precedence flag > env > config file > default,
 * the config file's syntax (comments, blanks, repeatable options) and its
 * refusals with the line number. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"

enum { O_NAME, O_COUNT, O_PROXY, O_CONFIG, O__N };
static const struct option_desc opts[] = {
    [O_NAME] = {"name", "OPTTEST_NAME", OPT_STRING, "dflt", 0, 0, "a name"},
    [O_COUNT] = {"count", "OPTTEST_COUNT", OPT_INT, "1", 1, 10, "a count"},
    [O_PROXY] = {"proxy", NULL, OPT_STRING, "", 0, 0, "a repeatable one", .repeatable = true},
    [O_CONFIG] = {"config", "OPTTEST_CONFIG", OPT_CONFIG, "", 0, 0, "the file"},
};

static char path[64];

static const char *file_with(const char *text)
{
    snprintf(path, sizeof path, "/tmp/opstasks-opt-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void cleanup(void)
{
    if (path[0]) unlink(path);
    unsetenv("OPTTEST_NAME");
    unsetenv("OPTTEST_COUNT");
    unsetenv("OPTTEST_CONFIG");
}

TestSuite(options, .fini = cleanup);

static int parse(const char **v, int argc, char **argv)
{
    return options_parse("usage", opts, O__N, argc, argv, v);
}

Test(options, without_a_config_file_the_defaults_hold)
{
    const char *v[O__N];
    cr_assert_eq(parse(v, 0, NULL), 0);
    cr_expect_str_eq(v[O_NAME], "dflt");
    cr_expect_str_eq(v[O_COUNT], "1");
}

Test(options, a_config_file_sets_options_with_comments_and_blank_lines_around)
{
    const char *f = file_with("# a comment\n\n   # indented comment\nname = from file\r\n\tcount=7   \n");
    char *argv[] = {"--config", (char *)f};
    const char *v[O__N];
    cr_assert_eq(parse(v, 2, argv), 0);
    cr_expect_str_eq(v[O_NAME], "from file");
    cr_expect_str_eq(v[O_COUNT], "7");
    cr_expect(strstr(options_origin(O_NAME), ":4: name") != NULL, "%s", options_origin(O_NAME));
}

Test(options, flag_beats_env_beats_config_file_beats_default)
{
    const char *f = file_with("name = file\ncount = 3\n");
    const char *v[O__N];
    setenv("OPTTEST_CONFIG", f, 1);
    cr_assert_eq(parse(v, 0, NULL), 0);
    cr_expect_str_eq(v[O_NAME], "file");
    setenv("OPTTEST_NAME", "env", 1);
    cr_assert_eq(parse(v, 0, NULL), 0);
    cr_expect_str_eq(v[O_NAME], "env");
    cr_expect_str_eq(v[O_COUNT], "3");
    char *argv[] = {"--name", "flag"};
    cr_assert_eq(parse(v, 2, argv), 0);
    cr_expect_str_eq(v[O_NAME], "flag");
    cr_expect_str_eq(options_origin(O_NAME), "--name");
}

Test(options, a_repeatable_option_collects_every_line_and_flags_replace_them_all)
{
    const char *f = file_with("proxy = 127.0.0.2\nproxy = 127.0.0.3\n");
    char *argv[] = {"--config", (char *)f};
    const char *v[O__N];
    cr_assert_eq(parse(v, 2, argv), 0);
    cr_expect_str_eq(v[O_PROXY], "127.0.0.2,127.0.0.3");
    char *argv2[] = {"--config", (char *)f, "--proxy", "127.0.0.9", "--proxy=127.0.0.8"};
    cr_assert_eq(parse(v, 5, argv2), 0);
    cr_expect_str_eq(v[O_PROXY], "127.0.0.9,127.0.0.8");
}

Test(options, an_unknown_name_is_refused_with_its_line, .init = cr_redirect_stderr)
{
    const char *f = file_with("name = x\n\nnmae = y\n");
    char *argv[] = {"--config", (char *)f};
    const char *v[O__N];
    cr_expect_eq(parse(v, 2, argv), 2);
    fflush(stderr);
    char want[128];
    snprintf(want, sizeof want, "opstasks: %s:3: unknown option 'nmae'\n", f);
    cr_expect_stderr_eq_str(want);
}

Test(options, a_bad_value_is_refused_with_its_line_even_when_a_flag_overrides_it, .init = cr_redirect_stderr)
{
    const char *f = file_with("count = 11\n");
    char *argv[] = {"--config", (char *)f, "--count", "2"};
    const char *v[O__N];
    cr_expect_eq(parse(v, 4, argv), 2);
    fflush(stderr);
    char want[160];
    snprintf(want, sizeof want, "opstasks: %s:1: count must be a whole number from 1 to 10, not '11'\n", f);
    cr_expect_stderr_eq_str(want);
}

Test(options, lines_that_are_not_name_value_and_repeated_single_options_are_refused)
{
    const char *v[O__N];
    const char *bad[] = {"name\n", "name = a\nname = b\n", "config = other\n", "= x\n", "help = 1\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *f = file_with(bad[i]);
        char *argv[] = {"--config", (char *)f};
        cr_expect_eq(parse(v, 2, argv), 2, "%s", bad[i]);
        unlink(f);
    }
    char *argv[] = {"--config", "/nonexistent/opstasks.conf"};
    cr_expect_eq(parse(v, 2, argv), 2);
}

Test(options, an_empty_value_is_the_empty_string)
{
    const char *f = file_with("name =\n");
    char *argv[] = {"--config", (char *)f};
    const char *v[O__N];
    cr_assert_eq(parse(v, 2, argv), 0);
    cr_expect_str_eq(v[O_NAME], "");
}

/* ---- switches (OPT_BOOL) ---- */
static const struct option_desc switch_opts[] = {
    {"allow", "OPTTEST_ALLOW", OPT_BOOL, "false", 0, 0, "a switch"},
    {"name", NULL, OPT_STRING, "dflt", 0, 0, "a name"},
};

static void unset_allow(void) { unsetenv("OPTTEST_ALLOW"); }

Test(options, a_switch_alone_is_true_and_takes_no_value_after_it, .fini = unset_allow)
{
    const char *v[2];
    char *argv[] = {"--allow", "--name", "x"};
    cr_assert_eq(options_parse("usage", switch_opts, 2, 3, argv, v), 0);
    cr_expect(options_bool(v[0]));
    cr_expect_str_eq(v[1], "x");
    cr_assert_eq(options_parse("usage", switch_opts, 2, 0, NULL, v), 0);
    cr_expect(!options_bool(v[0]));
    char *off[] = {"--allow=false"};
    setenv("OPTTEST_ALLOW", "yes", 1);
    cr_assert_eq(options_parse("usage", switch_opts, 2, 1, off, v), 0);
    cr_expect(!options_bool(v[0]));
    cr_assert_eq(options_parse("usage", switch_opts, 2, 0, NULL, v), 0);
    cr_expect(options_bool(v[0]));
}

Test(options, a_switch_refuses_values_other_than_true_and_false, .init = cr_redirect_stderr, .fini = unset_allow)
{
    const char *v[2];
    char *argv[] = {"--allow=maybe"};
    cr_expect_eq(options_parse("usage", switch_opts, 2, 1, argv, v), 2);
    setenv("OPTTEST_ALLOW", "2", 1);
    cr_expect_eq(options_parse("usage", switch_opts, 2, 0, NULL, v), 2);
}
