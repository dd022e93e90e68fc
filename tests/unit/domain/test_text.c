/* Unit tests of domain/text: the search's normalisation (Turkish dotted and
 * dotless i, the Latin accents, punctuation, bytes that are not UTF-8) and
 * the splitting of a query into words. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "domain/text.h"

static void expect_norm(const char *in, const char *want)
{
    char *got = text_normalize(in);
    cr_assert_not_null(got);
    cr_expect_str_eq(got, want, "text_normalize(\"%s\")", in);
    free(got);
}

Test(text, turkish_dotted_and_dotless_i_are_all_i)
{
    expect_norm("İSTANBUL", "istanbul");
    expect_norm("istanbul", "istanbul");
    expect_norm("ISTANBUL", "istanbul");
    expect_norm("Yılmaz", "yilmaz");
    expect_norm("YILMAZ", "yilmaz");
    expect_norm("ıIİi", "iiii");
    /* İ written decomposed: I and a combining dot above */
    expect_norm("I\xcc\x87stanbul", "istanbul");
}

Test(text, turkish_letters_lose_their_marks_in_both_cases)
{
    expect_norm("AYŞE", "ayse");
    expect_norm("Ayşe Yılmaz", "ayse yilmaz");
    expect_norm("şŞçÇğĞöÖüÜ", "ssccggoouu");
    expect_norm("Gümüşhane Çağlayan Öztürk", "gumushane caglayan ozturk");
}

Test(text, latin_accents_fold_to_their_letters)
{
    expect_norm("Élodie à Noël", "elodie a noel");
    expect_norm("Peña Ñandú", "pena nandu");
    expect_norm("Søren Ærø", "soren aero");
    expect_norm("Straße", "strasse");
    expect_norm("Œuvre ĳs Þór", "oeuvre ijs thor");
    expect_norm("Łódź Dvořák Čapek Đorđe", "lodz dvorak capek dorde");
    expect_norm("e\xcc\x81t\xc3\xa9", "ete"); /* decomposed and composed é */
}

Test(text, punctuation_and_blanks_split_words)
{
    expect_norm("passport-renewal, (urgent)!", "passport renewal urgent");
    expect_norm("  a\t\tb\r\nc  ", "a b c");
    expect_norm("a.b@c_d/e", "a b c d e");
    expect_norm("x\xc2\xa0y", "x y");              /* no-break space */
    expect_norm("x\xe2\x80\x94y\xe2\x80\xaez", "x y z"); /* em dash, bidi override */
    expect_norm("3\xc3\x97" "4", "3 4");            /* multiplication sign */
    expect_norm("!!!", "");
    expect_norm("", "");
    expect_norm(NULL, "");
}

Test(text, other_alphabets_are_kept_as_written)
{
    expect_norm("Αθήνα Москва", "Αθήνα Москва");
    expect_norm("東京、大阪", "東京 大阪");
}

Test(text, invalid_utf8_ends_a_word_and_never_crashes)
{
    expect_norm("ab\xffzz", "ab zz");
    expect_norm("\xc3", "");                   /* cut short */
    expect_norm("a\xc0\xafz", "a z");          /* overlong '/' */
    expect_norm("a\xed\xa0\x80z", "a z");      /* a surrogate */
    expect_norm("a\xf4\x90\x80\x80z", "a z");  /* past U+10FFFF */
    expect_norm("\x80\x80\x80", "");
    char all[256];
    for (int i = 0; i < 255; i++) all[i] = (char)(i + 1);
    all[255] = 0;
    char *got = text_normalize(all);
    cr_assert_not_null(got);
    cr_expect(strlen(got) <= 2 * 255);
    free(got);
}

Test(text, a_query_is_its_normalised_distinct_words)
{
    struct text_words w;
    cr_assert_eq(text_query_words("  Ayşe YILMAZ ayse ", &w), TEXT_OK);
    cr_assert_eq(w.n, 2);
    cr_expect_str_eq(w.w[0], "ayse");
    cr_expect_str_eq(w.w[1], "yilmaz");
}

Test(text, a_query_needs_one_to_ten_words_of_at_most_64_characters)
{
    struct text_words w;
    cr_expect_eq(text_query_words("", &w), TEXT_NO_WORDS);
    cr_expect_eq(text_query_words(" ,;- ", &w), TEXT_NO_WORDS);
    cr_expect_eq(text_query_words("a b c d e f g h i j", &w), TEXT_OK);
    cr_expect_eq(w.n, 10);
    cr_expect_eq(text_query_words("a b c d e f g h i j k", &w), TEXT_TOO_MANY_WORDS);
    char word[80];
    memset(word, 'x', 64);
    word[64] = 0;
    cr_expect_eq(text_query_words(word, &w), TEXT_OK);
    word[64] = 'x';
    word[65] = 0;
    cr_expect_eq(text_query_words(word, &w), TEXT_WORD_TOO_LONG);
    /* 64 code points of two bytes each still fit */
    char wide[200] = "";
    for (int i = 0; i < 64; i++) strcat(wide, "\xd0\xb6");
    cr_expect_eq(text_query_words(wide, &w), TEXT_OK);
    cr_expect_eq(text_chars(w.w[0]), 64);
}
