// Stand-in for the CUDA header of this name when g++ compiles a kernel for the emulation (see cuda_emu.h).
#include "cuda_emu.h"
