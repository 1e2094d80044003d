/* SPDX-License-Identifier: MIT */
/* The one place that maps OpenCL and CLBlast error codes to names and
 * statuses. Nothing else interprets a cl_int. */
#include <stdio.h>

#include "cl/clrt.h"

#define GC_CL_ERROR_LIST(X)                                                                        \
    X(CL_SUCCESS) X(CL_DEVICE_NOT_FOUND) X(CL_DEVICE_NOT_AVAILABLE) X(CL_COMPILER_NOT_AVAILABLE)   \
    X(CL_MEM_OBJECT_ALLOCATION_FAILURE) X(CL_OUT_OF_RESOURCES) X(CL_OUT_OF_HOST_MEMORY)            \
    X(CL_PROFILING_INFO_NOT_AVAILABLE) X(CL_MEM_COPY_OVERLAP) X(CL_IMAGE_FORMAT_MISMATCH)          \
    X(CL_IMAGE_FORMAT_NOT_SUPPORTED) X(CL_BUILD_PROGRAM_FAILURE) X(CL_MAP_FAILURE)                 \
    X(CL_MISALIGNED_SUB_BUFFER_OFFSET) X(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)             \
    X(CL_COMPILE_PROGRAM_FAILURE) X(CL_LINKER_NOT_AVAILABLE) X(CL_LINK_PROGRAM_FAILURE)            \
    X(CL_DEVICE_PARTITION_FAILED) X(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) X(CL_INVALID_VALUE)          \
    X(CL_INVALID_DEVICE_TYPE) X(CL_INVALID_PLATFORM) X(CL_INVALID_DEVICE) X(CL_INVALID_CONTEXT)    \
    X(CL_INVALID_QUEUE_PROPERTIES) X(CL_INVALID_COMMAND_QUEUE) X(CL_INVALID_HOST_PTR)              \
    X(CL_INVALID_MEM_OBJECT) X(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) X(CL_INVALID_IMAGE_SIZE)        \
    X(CL_INVALID_SAMPLER) X(CL_INVALID_BINARY) X(CL_INVALID_BUILD_OPTIONS) X(CL_INVALID_PROGRAM)   \
    X(CL_INVALID_PROGRAM_EXECUTABLE) X(CL_INVALID_KERNEL_NAME) X(CL_INVALID_KERNEL_DEFINITION)     \
    X(CL_INVALID_KERNEL) X(CL_INVALID_ARG_INDEX) X(CL_INVALID_ARG_VALUE) X(CL_INVALID_ARG_SIZE)    \
    X(CL_INVALID_KERNEL_ARGS) X(CL_INVALID_WORK_DIMENSION) X(CL_INVALID_WORK_GROUP_SIZE)           \
    X(CL_INVALID_WORK_ITEM_SIZE) X(CL_INVALID_GLOBAL_OFFSET) X(CL_INVALID_EVENT_WAIT_LIST)         \
    X(CL_INVALID_EVENT) X(CL_INVALID_OPERATION) X(CL_INVALID_GL_OBJECT) X(CL_INVALID_BUFFER_SIZE)  \
    X(CL_INVALID_MIP_LEVEL) X(CL_INVALID_GLOBAL_WORK_SIZE) X(CL_INVALID_PROPERTY)                  \
    X(CL_INVALID_IMAGE_DESCRIPTOR) X(CL_INVALID_COMPILER_OPTIONS) X(CL_INVALID_LINKER_OPTIONS)     \
    X(CL_INVALID_DEVICE_PARTITION_COUNT)

/* ICD loader's code for "no platforms"; not in the 1.2 headers. */
#define GC_CL_PLATFORM_NOT_FOUND_KHR (-1001)

const char *gc__cl_error_name(cl_int err)
{
    static _Thread_local char unknown[48];
    switch (err) {
#define GC_CL_ERR_CASE_(e)                                                                         \
    case e:                                                                                        \
        return #e;
        GC_CL_ERROR_LIST(GC_CL_ERR_CASE_)
#undef GC_CL_ERR_CASE_
    case GC_CL_PLATFORM_NOT_FOUND_KHR:
        return "CL_PLATFORM_NOT_FOUND_KHR";
    }
    snprintf(unknown, sizeof unknown, "CL_UNKNOWN_ERROR(%d)", (int)err);
    return unknown;
}

/* CLBlast's own codes (<= -1000); the rest are OpenCL's. Values from clblast_c.h. */
#define GC_CLBLAST_ERROR_LIST(X)                                                                   \
    X(-1024, NotImplemented) X(-1022, InvalidMatrixA) X(-1021, InvalidMatrixB)                    \
    X(-1020, InvalidMatrixC) X(-1019, InvalidVectorX) X(-1018, InvalidVectorY)                    \
    X(-1017, InvalidDimension) X(-1016, InvalidLeadDimA) X(-1015, InvalidLeadDimB)                 \
    X(-1014, InvalidLeadDimC) X(-1013, InvalidIncrementX) X(-1012, InvalidIncrementY)             \
    X(-1011, InsufficientMemoryA) X(-1010, InsufficientMemoryB) X(-1009, InsufficientMemoryC)     \
    X(-1008, InsufficientMemoryX) X(-1007, InsufficientMemoryY) X(-2050, InsufficientMemoryTemp)  \
    X(-2049, InvalidBatchCount) X(-2048, InvalidOverrideKernel)                                    \
    X(-2047, MissingOverrideParameter) X(-2046, InvalidLocalMemUsage)                              \
    X(-2045, NoHalfPrecision) X(-2044, NoDoublePrecision) X(-2043, InvalidVectorScalar)           \
    X(-2042, InsufficientMemoryScalar) X(-2041, DatabaseError) X(-2040, UnknownError)             \
    X(-2039, UnexpectedError)

const char *gc__clblast_error_name(int err)
{
    switch (err) {
#define GC_CLBLAST_ERR_CASE_(v, n)                                                                 \
    case v:                                                                                        \
        return "CLBlast" #n;
        GC_CLBLAST_ERROR_LIST(GC_CLBLAST_ERR_CASE_)
#undef GC_CLBLAST_ERR_CASE_
    }
    return gc__cl_error_name(err);
}

gc_status gc__cl_fail(const struct gc_device *dev, cl_int err, const char *what)
{
    gc_status s = GC_CL;
    if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES ||
        err == CL_INVALID_BUFFER_SIZE)
        s = GC_DEVICE_NOMEM;
    if (err == CL_BUILD_PROGRAM_FAILURE) s = GC_CL_BUILD;
    return gc_error(s, "%s: %s on %s", what, gc__cl_error_name(err),
                    dev ? dev->info.name : "(no device)");
}
