/* SPDX-License-Identifier: MIT */
/*
 * compio.h - the umbrella header for applications: errors, ops, the
 * driver API, configuration and backend introspection. Module authors
 * include <compio/module.h> instead.
 */
#ifndef COMPIO_H
#define COMPIO_H

#include "compio/platform.h"
#include "compio/error.h"
#include "compio/op.h"
#include "compio/config.h"
#include "compio/driver.h"
#include "compio/backend.h"
#include "compio/runtime.h"
#include "compio/stream.h"
#include "compio/io.h"
#include "compio/fs.h"
#include "compio/net.h"
#include "compio/signal.h"
#include "compio/process.h"
#include "compio/version.h"

#endif /* COMPIO_H */
