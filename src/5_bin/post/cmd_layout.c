/* cmd_layout: `tms-post layout --json | --markdown results|post`: prints the schema's tables (schema/schema.h) so
 * that nothing outside C keeps a hand copy of them. --json is the table analysis/tms_layout.json holds (tmsio.py
 * reads it; the layout_json test checks the committed copy against this output); --markdown prints the tables that
 * sweeps/results-layout.md and sweeps/post-layout.md embed between their "generated" markers (layout_docs test).
 * Invariant: every dataset's key (the last component of its path) is unique within its file; this command refuses
 * to print a table that breaks that, so Python may address datasets by key. */
#include <stdio.h>
#include <string.h>

#include "core/spec.h"
#include "schema/schema.h"

int tms_post_cmd_layout(int argc, char **argv);

static const char *const when_names[TMS_WHEN_COUNT] = {"always", "w2", "snapshots", "eval", "theory", "timing"};

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') printf("\\%c", *s);
    else if (*s == '\n') printf("\\n");
    else putchar(*s);
  }
  putchar('"');
}

static const char *key_of(const char *path) {
  const char *k = strrchr(path, '/');
  return k ? k + 1 : path;
}

static int keys_unique(const tms_schema_dataset *tab, int count) {
  for (int i = 0; i < count; i++)
    for (int j = i + 1; j < count; j++)
      if (strcmp(key_of(tab[i].path), key_of(tab[j].path)) == 0) {
        fprintf(stderr, "tms-post layout: two datasets share the key '%s' (%s, %s)\n", key_of(tab[i].path),
                tab[i].path, tab[j].path);
        return 0;
      }
  return 1;
}

static void json_attr(const tms_schema_attr *a, const char *on) {
  printf("{\"name\": ");
  json_str(a->name);
  if (on) {
    printf(", \"on\": ");
    json_str(on);
  }
  printf(", \"type\": \"%s\", \"required\": %s, \"meaning\": ", tms_schema_type_name(a->type),
         a->required ? "true" : "false");
  json_str(a->meaning);
  printf("}");
}

static void json_file(tms_schema_file kind) {
  int count, na;
  const tms_schema_dataset *tab = tms_schema_datasets(kind, &count);
  const tms_schema_attr *attrs = tms_schema_root_attrs(kind, &na);
  printf("    {\"schema\": \"%s\",\n     \"root_attrs\": [\n", kind == TMS_FILE_RESULTS ? TMS_RESULTS_SCHEMA
                                                                                         : TMS_POST_SCHEMA);
  for (int i = 0; i < na; i++) {
    printf("      ");
    json_attr(&attrs[i], NULL);
    printf("%s\n", i + 1 < na ? "," : "");
  }
  printf("     ],\n     \"datasets\": [\n");
  for (int i = 0; i < count; i++) {
    const tms_schema_dataset *d = &tab[i];
    printf("      {\"key\": ");
    json_str(key_of(d->path));
    printf(", \"path\": ");
    json_str(d->path);
    printf(", \"type\": \"%s\", \"lead\": \"%s\", \"trail\": [", tms_schema_type_name(d->type),
           d->lead == TMS_LEAD_CELLS ? "cells" : "grid");
    for (int t = 0; t < TMS_SCHEMA_MAX_TRAIL && d->trail[t] != TMS_DIM_NONE; t++)
      printf("%s\"%s\"", t ? ", " : "", tms_schema_dim_name(d->trail[t]));
    printf("], \"when\": \"%s\", \"meaning\": ", when_names[d->when]);
    json_str(d->meaning);
    printf("}%s\n", i + 1 < count ? "," : "");
  }
  printf("     ]}");
}

/* The parameter registry as /params stores it: float64 numbers ("int" and "real"), int8 codes of "enum" words. */
static void print_params(void) {
  static const char *const kinds[] = {"int", "real", "enum"};
  printf(" \"params_registry\": [\n");
  int first = 1;
  for (int i = 0; i < tms_param_count(); i++) {
    const tms_param_info *p = tms_param_at(i);
    if (strcmp(p->key, TMS_SCHEMA_NOT_STORED) == 0) continue;
    printf("%s  {\"key\": \"%s\", \"kind\": \"%s\", \"choices\": [", first ? "" : ",\n", p->key, kinds[p->kind]);
    for (int c = 0; p->kind == TMS_PARAM_ENUM && p->choices[c]; c++) printf("%s\"%s\"", c ? ", " : "", p->choices[c]);
    printf("]}");
    first = 0;
  }
  printf("\n ]\n");
}

static void print_json(void) {
  printf("{\"generated_by\": \"tms-post layout --json (src/3_files/schema/schema.c); do not edit\",\n");
  printf(" \"max_rank\": %d, \"replicate\": \"%s\", \"params\": \"%s\", \"axes\": \"%s\", \"not_stored\": \"%s\",\n",
         TMS_SCHEMA_MAX_RANK, TMS_SCHEMA_REPLICATE, TMS_SCHEMA_PARAMS, TMS_SCHEMA_AXES, TMS_SCHEMA_NOT_STORED);
  printf(" \"point_status\": {\"pending\": %d, \"done\": %d, \"failed\": %d, \"skipped\": %d},\n", TMS_POINT_PENDING,
         TMS_POINT_DONE, TMS_POINT_FAILED, TMS_POINT_SKIPPED);
  printf(" \"dims\": {");
  for (int t = TMS_DIM_CURVE; t < TMS_DIM_COUNT; t++)
    printf("%s\"%s\": \"%s\"", t > TMS_DIM_CURVE ? ", " : "", tms_schema_dim_name((tms_schema_dim)t),
           tms_schema_dim_extent((tms_schema_dim)t));
  printf("},\n \"files\": {\n  \"results\":\n");
  json_file(TMS_FILE_RESULTS);
  printf(",\n  \"post\":\n");
  json_file(TMS_FILE_POST);
  int n;
  const tms_schema_ds_attr *da = tms_schema_dataset_attrs(&n);
  printf("\n },\n \"dataset_attrs\": [\n");
  for (int i = 0; i < n; i++) {
    printf("  ");
    json_attr(&da[i].attr, da[i].on);
    printf("%s\n", i + 1 < n ? "," : "");
  }
  printf(" ],\n");
  print_params();
  printf("}\n");
}

/* A markdown cell: '|' would end the cell. */
static void md_cell(const char *s) {
  for (; *s; s++) {
    if (*s == '|') printf("\\|");
    else putchar(*s);
  }
}

static void print_markdown(tms_schema_file kind) {
  int na, count, n;
  const tms_schema_attr *attrs = tms_schema_root_attrs(kind, &na);
  printf("| root attribute | type | required | meaning |\n|---|---|---|---|\n");
  for (int i = 0; i < na; i++) {
    printf("| `%s` | %s | %s | ", attrs[i].name, tms_schema_type_name(attrs[i].type), attrs[i].required ? "yes" : "no");
    md_cell(attrs[i].meaning);
    printf(" |\n");
  }
  const tms_schema_dataset *tab = tms_schema_datasets(kind, &count);
  printf("\n| dataset | type | shape | exists | meaning |\n|---|---|---|---|---|\n");
  for (int i = 0; i < count; i++) {
    char shape[128];
    tms_schema_shape_text(&tab[i], shape, sizeof shape);
    printf("| `%s` | %s | %s | %s | ", tab[i].path, tms_schema_type_name(tab[i].type), shape, when_names[tab[i].when]);
    md_cell(tab[i].meaning);
    printf(" |\n");
  }
  const tms_schema_ds_attr *da = tms_schema_dataset_attrs(&n);
  const char *prefix = kind == TMS_FILE_RESULTS ? TMS_SCHEMA_PARAMS : "/";
  printf("\n| attribute | on | type | meaning |\n|---|---|---|---|\n");
  for (int i = 0; i < n; i++) {
    if (strncmp(da[i].on, prefix, strlen(prefix)) != 0 || (kind == TMS_FILE_POST && strncmp(da[i].on, TMS_SCHEMA_PARAMS,
                                                                                           strlen(TMS_SCHEMA_PARAMS)) == 0))
      continue;
    printf("| `%s` | `%s` | %s | ", da[i].attr.name, da[i].on, tms_schema_type_name(da[i].attr.type));
    md_cell(da[i].attr.meaning);
    printf(" |\n");
  }
}

int tms_post_cmd_layout(int argc, char **argv) {
  int count;
  for (int k = 0; k < 2; k++) {
    const tms_schema_dataset *tab = tms_schema_datasets((tms_schema_file)k, &count);
    if (!keys_unique(tab, count)) return 3;
  }
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: tms-post layout --json | --markdown results|post\n"
           "  --json                   both files' tables as JSON (what analysis/tms_layout.json holds)\n"
           "  --markdown results|post  one file's tables as Markdown (what sweeps/*-layout.md embed)\n");
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--json") == 0) {
    print_json();
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "--markdown") == 0 && strcmp(argv[2], "results") == 0) {
    print_markdown(TMS_FILE_RESULTS);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "--markdown") == 0 && strcmp(argv[2], "post") == 0) {
    print_markdown(TMS_FILE_POST);
    return 0;
  }
  fprintf(stderr, "tms-post layout: usage: tms-post layout --json | --markdown results|post\n");
  return 2;
}
