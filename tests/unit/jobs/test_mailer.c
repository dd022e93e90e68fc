/* Unit tests of the mailer (jobs/mailer.c) and its messages (domain/mail.c)
 * with the clock set: the digest at the digest time and not before, once a
 * day, none when nothing is due, through a tiny SMTP server on 127.0.0.1
 * run by the test; an assignment's email; and the rendering rules (two
 * parts, links, escaping, encoded headers). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "store_fixture.h"
#include "domain/mail.h"
#include "jobs/mailer.h"
#include "service/notify.h"
#include "service/tasks.h"

/* ---- a tiny SMTP server: every message's data, at most 16 ---- */

static struct {
    int fd, port;
    pthread_t thread;
    pthread_mutex_t lock;
    char *msgs[16];
    char rcpt[16][128];
    int n;
    volatile int stop;
} smtp;

static void say(int fd, const char *s) { (void)!write(fd, s, strlen(s)); }

/* one line (CRLF stripped) into line, 0, or -1 when the peer left / 5 s passed */
static int read_line(int fd, char *line, size_t n)
{
    size_t k = 0;
    while (k + 1 < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1) return -1;
        char ch;
        if (read(fd, &ch, 1) != 1) return -1;
        if (ch == '\n') break;
        if (ch != '\r') line[k++] = ch;
    }
    line[k] = 0;
    return 0;
}

static void serve(int fd)
{
    char line[2048], rcpt[128] = "";
    say(fd, "220 test ESMTP\r\n");
    while (read_line(fd, line, sizeof line) == 0) {
        if (!strncasecmp(line, "EHLO", 4) || !strncasecmp(line, "HELO", 4)) say(fd, "250 test\r\n");
        else if (!strncasecmp(line, "RCPT TO:", 8)) {
            snprintf(rcpt, sizeof rcpt, "%.120s", line + 8);
            say(fd, "250 ok\r\n");
        } else if (!strncasecmp(line, "DATA", 4)) {
            say(fd, "354 go on\r\n");
            size_t cap = 1 << 16, len = 0;
            char *m = calloc(1, cap);
            while (read_line(fd, line, sizeof line) == 0 && strcmp(line, ".") != 0) {
                size_t l = strlen(line);
                if (len + l + 2 < cap) {
                    memcpy(m + len, line, l);
                    memcpy(m + len + l, "\n", 2);
                    len += l + 1;
                }
            }
            pthread_mutex_lock(&smtp.lock);
            if (smtp.n < 16) {
                snprintf(smtp.rcpt[smtp.n], sizeof smtp.rcpt[0], "%s", rcpt);
                smtp.msgs[smtp.n++] = m;
            } else
                free(m);
            pthread_mutex_unlock(&smtp.lock);
            say(fd, "250 queued\r\n");
        } else if (!strncasecmp(line, "QUIT", 4)) {
            say(fd, "221 bye\r\n");
            break;
        } else
            say(fd, "250 ok\r\n");
    }
    close(fd);
}

static void *smtp_main(void *arg)
{
    (void)arg;
    while (!smtp.stop) {
        struct pollfd p = {.fd = smtp.fd, .events = POLLIN};
        if (poll(&p, 1, 100) != 1) continue;
        int c = accept(smtp.fd, NULL, NULL);
        if (c >= 0) serve(c);
    }
    return NULL;
}

static void smtp_start(void)
{
    memset(&smtp, 0, sizeof smtp);
    pthread_mutex_init(&smtp.lock, NULL);
    smtp.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(smtp.fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(smtp.fd, 8), 0);
    socklen_t l = sizeof a;
    getsockname(smtp.fd, (struct sockaddr *)&a, &l);
    smtp.port = ntohs(a.sin_port);
    pthread_create(&smtp.thread, NULL, smtp_main, NULL);
}

static void smtp_stop(void)
{
    smtp.stop = 1;
    pthread_join(smtp.thread, NULL);
    close(smtp.fd);
    for (int i = 0; i < smtp.n; i++) free(smtp.msgs[i]);
}

/* ---- the store's side ---- */

static struct mailer *M;

static void start(int digest_minutes)
{
    announce_reset();
    announce_add_sink(notify_sink);
    smtp_start();
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", smtp.port);
    struct mailer_config cfg = {.smtp_url = url, .from = "ops@example.com", .base_url = "https://ops.example.com",
                                .digest_minutes = digest_minutes};
    cr_assert_not_null(M = mailer_new(S, &cfg));
}

static void stop(void)
{
    mailer_free(M);
    M = NULL;
    smtp_stop();
}

struct create { struct task t; struct errinfo e; const char *actor; };
static enum err do_create(struct store_conn *c, void *arg)
{
    struct create *x = arg;
    return service_task_create(c, &x->t, x->actor, clock_now_ms(), &x->e);
}

static void task(const char *title, const char *due, const char *assignee)
{
    struct create x = {.t = {.title = strdup(title), .priority = PRIORITY_MEDIUM, .status = TASK_OPEN},
                       .actor = "sta_boss"};
    snprintf(x.t.due_date, sizeof x.t.due_date, "%s", due);
    snprintf(x.t.assignee_id, sizeof x.t.assignee_id, "%s", assignee);
    cr_assert_eq(store_run(S, do_create, &x), ERR_OK, "%s", x.e.message);
    task_clear(&x.t);
}

static void person(const char *id, const char *name)
{
    char email[96];
    snprintf(email, sizeof email, "%s@example.com", id);
    struct put_staff p = {.id = id, .name = name, .email = email, .active = true, .at = clock_now_ms()};
    cr_assert_eq(store_run(S, do_put_staff, &p), ERR_OK);
}

/* The digests among the messages. */
static int digests(const char *rcpt_part)
{
    int k = 0;
    for (int i = 0; i < smtp.n; i++)
        if (strstr(smtp.msgs[i], "Subject: Your tasks for") && strstr(smtp.rcpt[i], rcpt_part)) k++;
    return k;
}

#define AT_0759 (NOW - HOUR - 60000) /* 2026-06-10T07:59:00Z */
#define AT_0800 (NOW - HOUR)

STORE_TEST(mailer, the_digest_goes_at_the_digest_time_once_a_day_and_none_when_none)
{
    clock_set_ms(AT_0759);
    person("sta_boss", "Boss");
    person("sta_fay", "Fay");
    person("sta_gil", "Gil");
    start(8 * 60);
    /* made without the mailer's assignment emails in the way: Fay's come first */
    task("Late one", "2026-06-01", "sta_fay");
    task("Today one", TODAY, "sta_fay");
    task("Next week", "2026-06-17", "sta_gil");
    cr_assert_eq(mailer_run_once(M), 3); /* the three assignments */
    cr_expect_eq(digests(""), 0, "no digest before 08:00");
    clock_set_ms(AT_0800);
    cr_assert_eq(mailer_run_once(M), 1);
    cr_expect_eq(digests("sta_fay"), 1);
    cr_expect_eq(digests("sta_gil"), 0, "Gil has nothing due: no digest");
    const char *d = NULL;
    for (int i = 0; i < smtp.n; i++)
        if (strstr(smtp.msgs[i], "Subject: Your tasks for")) d = smtp.msgs[i];
    cr_assert_not_null(d);
    cr_expect(strstr(d, "Subject: Your tasks for 2026-06-10: 1 overdue, 1 due today") != NULL);
    cr_expect(strstr(d, "- Late one (due 2026-06-01)") != NULL);
    cr_expect(strstr(d, "<h2>Due today</h2>") != NULL);
    /* later the same day: nothing more */
    clock_set_ms(NOW + 5 * HOUR);
    cr_expect_eq(mailer_run_once(M), 0);
    /* another mailer (an instance) the same day: the day's row is taken */
    struct mailer_config cfg = {.smtp_url = "smtp://127.0.0.1:1", .from = "x@example.com", .base_url = "http://x",
                                .digest_minutes = 0};
    struct mailer *other = mailer_new(S, &cfg);
    cr_expect_eq(mailer_run_once(other), 0);
    mailer_free(other);
    /* the next morning Fay's tasks are still due: a new digest */
    clock_set_ms(AT_0800 + DAY);
    cr_expect_eq(mailer_run_once(M), 1);
    cr_expect_eq(digests("sta_fay"), 2);
    stop();
}

STORE_TEST(mailer, an_assignment_email_names_who_did_it_and_links_to_the_task)
{
    person("sta_boss", "Boss Lady");
    person("sta_ann", "Ann");
    start(23 * 60 + 59);
    task("Renew & file", "2026-07-01", "sta_ann");
    cr_assert_eq(mailer_run_once(M), 1);
    cr_assert_eq(smtp.n, 1);
    const char *m = smtp.msgs[0];
    cr_expect(strstr(smtp.rcpt[0], "<sta_ann@example.com>") != NULL);
    cr_expect(strstr(m, "Subject: Assigned to you: Renew & file") != NULL);
    cr_expect(strstr(m, "Boss Lady assigned a task to you:") != NULL);
    cr_expect(strstr(m, "https://ops.example.com/tasks/tsk_") != NULL);
    cr_expect(strstr(m, "Renew &amp; file</a>") != NULL);
    cr_expect(strstr(m, "Date: Wed, 10 Jun 2026 09:00:00 +0000") != NULL);
    /* sent: never again */
    cr_expect_eq(mailer_run_once(M), 0);
    stop();
}

struct claim_job { struct mail_item *items; int n; int64_t now; };
static enum err do_claim(struct store_conn *c, void *arg)
{
    struct claim_job *k = arg;
    return store_mail_claim(c, "test", k->now, k->now + 60000, 50, &k->items, &k->n);
}

STORE_TEST(mailer, a_failing_server_is_tried_once_a_round_and_the_rest_wait_with_it)
{
    person("sta_boss", "Boss");
    person("sta_ann", "Ann");
    announce_reset();
    announce_add_sink(notify_sink);
    /* a port nobody listens on: the connection is refused */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", ntohs(a.sin_port));
    struct mailer_config cfg = {.smtp_url = url, .from = "ops@example.com", .base_url = "http://x",
                                .digest_minutes = 23 * 60 + 59};
    struct mailer *m = mailer_new(S, &cfg);
    for (int i = 0; i < 3; i++) task("Waits", "2026-07-01", "sta_ann");
    cr_expect_eq(mailer_run_once(m), 0);
    /* nothing is due again for about 2 s (1.6 to 2.4 with the jitter) */
    struct claim_job early = {.now = NOW + 1500};
    cr_assert_eq(store_run(S, do_claim, &early), ERR_OK);
    cr_expect_eq(early.n, 0);
    free(early.items);
    struct claim_job k = {.now = NOW + 2500};
    cr_assert_eq(store_run(S, do_claim, &k), ERR_OK);
    cr_assert_eq(k.n, 3);
    int tries = 0;
    for (int i = 0; i < k.n; i++) tries += k.items[i].attempts;
    cr_expect_eq(tries, 1, "one try: the other two waited with it, untried");
    free(k.items);
    mailer_free(m);
    close(fd);
}

Test(mail, a_message_has_text_and_html_parts_and_safe_headers)
{
    clock_set_ms(NOW);
    struct mail_task ts[] = {{"tsk_1", "Old <one>", "2026-06-01"}, {"tsk_2", "Now", "2026-06-10"}};
    struct mail_content m = {.kind = "digest", .from = "ops@example.com", .to_email = "x@example.com\r\nBcc: evil",
                             .to_name = "Zoë \"Z\"", .day = "2026-06-10", .tasks = ts, .n_tasks = 2,
                             .base_url = "https://o.example", .now_ms = NOW, .unique = "m123"};
    char *s = mail_render(&m);
    cr_assert_not_null(s);
    cr_expect(strstr(s, "\r\nBcc:") == NULL, "no header injection");
    cr_expect(strstr(s, "To: =?UTF-8?B?") != NULL, "a non-ASCII name is encoded, bare");
    cr_expect(strstr(s, "Content-Type: multipart/alternative; boundary=\"=_opstasks_m123\"") != NULL);
    cr_expect(strstr(s, "Content-Type: text/plain; charset=utf-8") != NULL);
    cr_expect(strstr(s, "Content-Type: text/html; charset=utf-8") != NULL);
    cr_expect(strstr(s, "--=_opstasks_m123--\r\n") != NULL);
    cr_expect(strstr(s, "- Old <one> (due 2026-06-01)\r\n  https://o.example/tasks/tsk_1") != NULL);
    cr_expect(strstr(s, "Old &lt;one&gt;</a>") != NULL);
    cr_expect(strstr(s, "Subject: Your tasks for 2026-06-10: 1 overdue, 1 due today") != NULL);
    cr_expect(strstr(s, "Message-ID: <m123@example.com>") != NULL);
    free(s);
    m.kind = "nonsense";
    cr_expect_null(mail_render(&m));
    clock_set_ms(0);
}

Test(mail, digest_times_are_read_as_hh_mm)
{
    cr_expect_eq(mailer_parse_time("08:00"), 480);
    cr_expect_eq(mailer_parse_time("00:00"), 0);
    cr_expect_eq(mailer_parse_time("23:59"), 23 * 60 + 59);
    cr_expect_eq(mailer_parse_time("24:00"), -1);
    cr_expect_eq(mailer_parse_time("8:00"), -1);
    cr_expect_eq(mailer_parse_time("08:60"), -1);
    cr_expect_eq(mailer_parse_time("08-00"), -1);
}
