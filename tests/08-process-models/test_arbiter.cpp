#include "syslab/test.hpp"
