/*
 * A Node-API addon with one function, trim(): runs glibc's malloc_trim(0) on a libuv pool thread
 * and resolves its promise when done. malloc_trim hands the free pages inside every malloc arena
 * back to the OS; glibc returns an arena's memory by itself only from the top of its heap, so
 * after an ingestion burst or a round of queries most of what the worker threads and the main
 * thread freed stayed resident (tens of MiB, see README "Design: memory"). A trim walks every
 * free chunk (tens of milliseconds for a few hundred MiB), hence off the event loop.
 *
 * The few Node-API declarations it needs are written out here (they are a stable C ABI), so it
 * builds with a C compiler alone, without Node's headers; scripts/build.mjs skips it when there is
 * no compiler, and src/runtime/malloc-trim.ts then does nothing.
 */
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef struct napi_deferred__ *napi_deferred;
typedef struct napi_async_work__ *napi_async_work;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef void (*napi_async_execute_callback)(napi_env env, void *data);
typedef void (*napi_async_complete_callback)(napi_env env, napi_status status, void *data);

extern napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb, void *data, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *utf8name, napi_value value);
extern napi_status napi_get_boolean(napi_env env, int value, napi_value *result);
extern napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result);
extern napi_status napi_create_promise(napi_env env, napi_deferred *deferred, napi_value *promise);
extern napi_status napi_resolve_deferred(napi_env env, napi_deferred deferred, napi_value resolution);
extern napi_status napi_create_async_work(napi_env env, napi_value async_resource, napi_value async_resource_name,
                                          napi_async_execute_callback execute, napi_async_complete_callback complete, void *data,
                                          napi_async_work *result);
extern napi_status napi_queue_async_work(napi_env env, napi_async_work work);
extern napi_status napi_delete_async_work(napi_env env, napi_async_work work);

struct job {
  napi_async_work work;
  napi_deferred deferred;
  int released;
};

static void execute(napi_env env, void *data) {
  (void)env;
  ((struct job *)data)->released = malloc_trim(0);
}

static void complete(napi_env env, napi_status status, void *data) {
  struct job *j = data;
  napi_value released;
  napi_get_boolean(env, status == 0 && j->released != 0, &released);
  napi_resolve_deferred(env, j->deferred, released);
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value promise = NULL, name;
  struct job *j = calloc(1, sizeof *j);
  if (j == NULL) return NULL;
  if (napi_create_promise(env, &j->deferred, &promise) != 0 || napi_create_string_utf8(env, "mallocTrim", (size_t)-1, &name) != 0 ||
      napi_create_async_work(env, NULL, name, execute, complete, j, &j->work) != 0 || napi_queue_async_work(env, j->work) != 0) {
    free(j);
    return NULL;
  }
  return promise;
}

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "trim", (size_t)-1, trim, NULL, &fn) == 0) napi_set_named_property(env, exports, "trim", fn);
  return exports;
}

/* Node-API version 1 is all this uses. */
__attribute__((visibility("default"))) int node_api_module_get_api_version_v1(void) { return 1; }
