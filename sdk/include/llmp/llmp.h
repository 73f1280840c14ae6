/* llmp SDK umbrella header: everything a plugin needs. Pure C (C11), usable from C++. */
#ifndef LLMP_LLMP_H
#define LLMP_LLMP_H

#include "version.h"
#include "types.h"
#include "host.h"
#include "plugin.h"
#include "backend.h"
#include "frontend.h"
#include "ext/cli.h"

#endif
