#include "filetype.h"
