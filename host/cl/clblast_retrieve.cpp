// SPDX-License-Identifier: MIT
// The one C++ file: CLBlast exposes RetrieveParameters (the device's database values, needed
// to return to CLBlast's defaults after an override) only in its C++ API. Nothing else here.
#include <clblast.h>

#include <string>
#include <unordered_map>

extern "C" int gc__clblast_retrieve(cl_device_id dev, const char *kernel, int n,
                                    const char *const *names, int *values);

extern "C" int gc__clblast_retrieve(cl_device_id dev, const char *kernel, int n,
                                    const char *const *names, int *values)
{
    try {
        std::unordered_map<std::string, size_t> p;
        clblast::StatusCode st = clblast::RetrieveParameters(dev, kernel, clblast::Precision::kSingle, p);
        if (st != clblast::StatusCode::kSuccess) return static_cast<int>(st);
        if (p.size() != static_cast<size_t>(n)) return static_cast<int>(clblast::StatusCode::kMissingOverrideParameter);
        for (int i = 0; i < n; i++) {
            auto it = p.find(names[i]);
            if (it == p.end()) return static_cast<int>(clblast::StatusCode::kMissingOverrideParameter);
            values[i] = static_cast<int>(it->second);
        }
    } catch (...) {
        return static_cast<int>(clblast::StatusCode::kUnknownError);
    }
    return 0;
}
