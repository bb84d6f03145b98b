// cxx.cc — every public header included from C++, and the library linked:
// without the headers' extern "C" guards this does not link.
#include "tally/build.h"
#include "tally/clean.h"
#include "tally/dataset.h"
#include "tally/diag.h"
#include "tally/disclosure.h"
#include "tally/expr.h"
#include "tally/input.h"
#include "tally/reader.h"
#include "tally/record.h"
#include "tally/registry.h"
#include "tally/report.h"
#include "tally/schema.h"
#include "tally/settle.h"
#include "tally/source.h"
#include "tally/status.h"
#include "tally/validate.h"
#include "tally/value.h"
#include "tally/version.h"
#include "tally/writer.h"

#include <cstdio>
#include <cstring>

int main()
{
    if (std::strcmp(tally_version_string(), TALLY_VERSION_STRING) != 0 ||
        tally_version() != TALLY_VERSION_NUMBER) {
        std::printf("compiled against %s, linked with %s\n", TALLY_VERSION_STRING,
                    tally_version_string());
        return 1;
    }
    std::printf("%s %s\n", tally_version_string(), tally_status_str(TALLY_ENOMEM));
    return 0;
}
