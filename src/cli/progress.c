/*
 * Progress of long commands on stderr (issue 17): a bar redrawn in place
 * when stderr is a terminal, plain lines ("budget: 40% solving each
 * segment") every tenth and at each new stage otherwise, so that logs of
 * scripted runs stay short and readable. stdout, which carries results,
 * is never touched. DMS_PROGRESS=0 in the environment silences it.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

#define BAR_WIDTH 30

/* The core names its stages in English (dms/progress.h); with --lang ru
 * the user reads them in Russian. A stage missing here stays English. */
static const struct {
    const char *en, *ru;
} stages_ru[] = {
    {"checking and applying the changes", "проверка и применение изменений"},
    {"checking the designs reaching the target", "проверка вариантов, достигающих цели"},
    {"checking the designs within budget", "проверка вариантов в пределах бюджета"},
    {"done", "готово"},
    {"pricing the design space", "расчёт цен вариантов"},
    {"reading the register", "чтение реестра"},
    {"reading the template", "чтение шаблона"},
    {"solving each segment", "подбор по каждому сегменту"},
    {"storing the register", "сохранение реестра"},
};

static const char *stage_text(const char *stage)
{
    if (cli_russian())
        for (size_t i = 0; i < sizeof stages_ru / sizeof stages_ru[0]; i++)
            if (strcmp(stages_ru[i].en, stage) == 0)
                return stages_ru[i].ru;
    return stage;
}

void cli_progress_start(cli_progress *c, const char *label)
{
    memset(c, 0, sizeof *c);
    c->label = label;
    c->tty = isatty(STDERR_FILENO) == 1;
    c->last_tenth = -1;
    const char *env = getenv("DMS_PROGRESS");
    c->quiet = env != NULL && strcmp(env, "0") == 0;
    c->progress = dms_progress_make(c->quiet ? NULL : cli_progress_show, c);
}

void cli_progress_show(void *user, double fraction, const char *stage)
{
    cli_progress *c = user;
    stage = stage_text(stage);
    int percent = (int)(fraction * 100.0 + 1e-9);
    if (c->tty) {
        int filled = (int)(fraction * BAR_WIDTH + 1e-9);
        char bar[BAR_WIDTH + 1];
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        /* \033[K clears what a longer stage name left behind */
        fprintf(stderr, "\r%s [%s] %3d%% %s\033[K", c->label, bar, percent, stage);
        c->drawn = true;
        if (fraction >= 1.0) {
            fputc('\n', stderr);
            c->drawn = false;
        }
        fflush(stderr);
        return;
    }
    int tenth = percent / 10;
    if (tenth == c->last_tenth && strcmp(stage, c->last_stage) == 0)
        return;
    c->last_tenth = tenth;
    snprintf(c->last_stage, sizeof c->last_stage, "%s", stage);
    fprintf(stderr, "%s: %d%% %s\n", c->label, percent, stage);
}

void cli_progress_end(cli_progress *c)
{
    if (c->tty && c->drawn) /* stopped before the end: keep the bar, end its line */
        fputc('\n', stderr);
    c->drawn = false;
}
