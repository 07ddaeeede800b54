/* A core file that breaks the layering: make check-layers must reject this
 * folder, which proves the check still bites. Never compiled. */
#include <microhttpd.h>
#include "../../../src/store/store_internal.h"
