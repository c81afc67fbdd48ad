#ifndef TW_VERSION_H
#define TW_VERSION_H
#define TW_VERSION "0.1.0"
#endif
