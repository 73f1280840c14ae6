/* llmp SDK: ABI version.
 *
 * LLMP_ABI_MAJOR changes only when an existing struct or function changes meaning or layout
 * (the host then refuses plugins built for another major). LLMP_ABI_MINOR grows when a field or
 * function is appended to a struct; structs carry struct_size so both sides can tell what the
 * other one knows. The IR schema version (docs/ir.md) moves with the ABI version. */
#ifndef LLMP_VERSION_H
#define LLMP_VERSION_H

#define LLMP_ABI_MAJOR 1
#define LLMP_ABI_MINOR 2

/* IR (docs/ir.md) schema version carried by this ABI. */
#define LLMP_IR_SCHEMA_VERSION 1

#endif
