/* migrations.h: the numbered SQL files of src/store/migrations/, compiled in
 * by the Makefile (build/gen/migrations.c). Applied in order at start. */
#ifndef OPSTASKS_MIGRATIONS_H
#define OPSTASKS_MIGRATIONS_H

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration store_migrations[];
extern const int store_migrations_count;

#endif
