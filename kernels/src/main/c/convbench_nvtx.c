/*
 * NVTX ranges for Nsight Systems, as JNI for convbench.kernels.cuda.Nvtx. JCuda has no NVTX binding.
 *
 * NVTX3 is header-only: nothing is linked at run time. The first call looks for a tool's injection library
 * (NVTX_INJECTION64_PATH, which nsys sets); without one every later call is a near no-op (one indirect
 * call that returns). Built by the kernels module's pom with gcc where a CUDA toolkit's nvtx3 headers are
 * found, and packed in the jar at convbench/kernels/linux-x86_64/libconvbench_nvtx.so.
 */
#include <jni.h>
#include <nvtx3/nvToolsExt.h>

/* Opens a range named name on the calling thread; returns its nesting depth (0-based), or a negative value
 * when no tool is attached. */
JNIEXPORT jint JNICALL Java_convbench_kernels_cuda_Nvtx_push0(JNIEnv *env, jclass cls, jstring name) {
    (void) cls;
    const char *s = (*env)->GetStringUTFChars(env, name, NULL);
    if (s == NULL) return -2; /* out of memory: an OutOfMemoryError is pending */
    int depth = nvtxRangePushA(s);
    (*env)->ReleaseStringUTFChars(env, name, s);
    return depth;
}

/* Closes the innermost open range of the calling thread; returns the depth it had, or a negative value. */
JNIEXPORT jint JNICALL Java_convbench_kernels_cuda_Nvtx_pop0(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    return nvtxRangePop();
}

/* A single point on the timeline. */
JNIEXPORT void JNICALL Java_convbench_kernels_cuda_Nvtx_mark0(JNIEnv *env, jclass cls, jstring name) {
    (void) cls;
    const char *s = (*env)->GetStringUTFChars(env, name, NULL);
    if (s == NULL) return;
    nvtxMarkA(s);
    (*env)->ReleaseStringUTFChars(env, name, s);
}
