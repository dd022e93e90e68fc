/* announce.c (service): the registry of announcement sinks and the names of
 * the event types (announce.h). The sinks are set once at start-up, before
 * the writer thread starts, and only read after. */
#include "service/announce.h"

#include <string.h>

#define MAX_SINKS 4

static announce_sink_fn sinks[MAX_SINKS];
static int n_sinks;

static const char *const type_names[] = {
#define ANNOUNCE_NAME(e, name) name,
    ANNOUNCE_TYPES(ANNOUNCE_NAME)
#undef ANNOUNCE_NAME
};

const char *announce_type_name(enum announce_type t)
{
    return (int)t >= 0 && t < ANN_COUNT ? type_names[t] : NULL;
}

int announce_type_parse(const char *name)
{
    for (int i = 0; i < ANN_COUNT; i++)
        if (strcmp(type_names[i], name) == 0) return i;
    return -1;
}

void announce_add_sink(announce_sink_fn fn)
{
    if (n_sinks < MAX_SINKS) sinks[n_sinks++] = fn;
}

void announce_reset(void) { n_sinks = 0; }

enum err announce(struct store_conn *c, const struct announcement *a)
{
    for (int i = 0; i < n_sinks; i++) {
        enum err rc = sinks[i](c, a);
        if (rc != ERR_OK) return rc;
    }
    return ERR_OK;
}
