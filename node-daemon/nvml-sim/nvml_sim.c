/*
 * An NVML-compatible library for tests and the simulated cluster: the symbols, signatures and struct layouts
 * runai-node-exporter calls, answering from a text file of simulated GPUs and injected faults instead of a
 * driver. The file is named by NVML_SIM_CONFIG and re-read whenever it changes, so a test (or an operator of
 * the simulated cluster) can lose a GPU, inject an Xid or make a call fail while the daemon runs.
 *
 * One directive per line, '#' starts a comment, values may be "quoted":
 *   gpu index=0 uuid=GPU-... name="NVIDIA H200" pci=00000000:17:00.0 memory_total_mib=75377 memory_used_mib=512
 *       util_gpu=35 util_memory=20 temperature=41 power_mw=250000 energy_mj=0 sm_mhz=1980 memory_mhz=3201
 *   lost gpu=1                                   every call on GPU 1 answers GPU_IS_LOST, until re-init after
 *                                                the line is gone (a lost handle stays lost, as on a driver)
 *   fault call=nvmlDeviceGetPowerUsage gpu=2 code=3   that call answers code (gpu=* or no gpu: every GPU;
 *                                                call=nvmlInit_v2 makes initialisation fail)
 *   slow call=nvmlDeviceGetTemperature ms=200    that call sleeps first
 *   xid gpu=0 xid=79 seq=1                       an Xid critical error event, delivered once per event set
 *                                                (seq orders events; a new seq is a new event)
 *
 * Tests that load several copies of the library in one process give each its own file with nvmlSimUseConfig.
 *
 * Built twice: the full ABI, and with NVML_SIM_LEGACY_ONLY the pre-_v2 entry points only (and no energy
 * counter), so the daemon's symbol fallbacks run too.
 */
#include "nvml_sim.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_GPUS 64
#define MAX_RULES 128
#define MAX_XIDS 256
#define MAX_SETS 16
#define CALL_LEN 64

struct nvmlDevice_st {
    int present;
    unsigned int index;
    char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
    char pci[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
    unsigned long long memory_total_mib, memory_used_mib;
    unsigned int util_gpu, util_memory, temperature, power_mw, sm_mhz, memory_mhz;
    unsigned long long energy_mj;
    int lost;          /* the file says lost */
    int lost_latched;  /* a call saw it lost since the last init */
};

struct rule {
    char call[CALL_LEN];
    int gpu; /* -1: every GPU */
    int code;
    int slow_ms;
};

struct xid_event {
    int gpu;
    unsigned long long xid;
    unsigned long long seq;
};

struct nvmlEventSet_st {
    int used;
    unsigned long long registered; /* bit per GPU index */
    unsigned long long delivered_seq;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct nvmlDevice_st devices[MAX_GPUS];
static unsigned int device_count;
static struct rule rules[MAX_RULES];
static int rule_count;
static struct xid_event xids[MAX_XIDS];
static int xid_count;
static struct nvmlEventSet_st sets[MAX_SETS];
static int initialized;
static struct timespec loaded_mtime;
static off_t loaded_size = -1;
static ino_t loaded_inode;
static struct timespec load_time;
static char config_path[4096];

/* ---- the config file ---- */

/* Next key=value pair of a line; values may be quoted. Returns 0 at the end of the line. */
static int next_pair(char **cursor, char **key, char **value)
{
    char *p = *cursor;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) return 0;
    *key = p;
    while (*p && *p != '=' && !isspace((unsigned char)*p)) p++;
    if (*p != '=') { /* a bare word: key without value */
        if (*p) *p++ = 0;
        *value = "";
        *cursor = p;
        return 1;
    }
    *p++ = 0;
    if (*p == '"') {
        *value = ++p;
        while (*p && *p != '"') p++;
    } else {
        *value = p;
        while (*p && !isspace((unsigned char)*p)) p++;
    }
    if (*p) *p++ = 0;
    *cursor = p;
    return 1;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

static void parse_line(char *line)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *cursor = line, *directive, *key, *value;
    if (!next_pair(&cursor, &directive, &value)) return;
    if (strcmp(directive, "gpu") == 0) {
        struct nvmlDevice_st d;
        memset(&d, 0, sizeof d);
        d.index = (unsigned int)-1;
        while (next_pair(&cursor, &key, &value)) {
            if (!strcmp(key, "index")) d.index = (unsigned int)strtoul(value, NULL, 10);
            else if (!strcmp(key, "uuid")) copy_text(d.uuid, sizeof d.uuid, value);
            else if (!strcmp(key, "name")) copy_text(d.name, sizeof d.name, value);
            else if (!strcmp(key, "pci")) copy_text(d.pci, sizeof d.pci, value);
            else if (!strcmp(key, "memory_total_mib")) d.memory_total_mib = strtoull(value, NULL, 10);
            else if (!strcmp(key, "memory_used_mib")) d.memory_used_mib = strtoull(value, NULL, 10);
            else if (!strcmp(key, "util_gpu")) d.util_gpu = (unsigned int)strtoul(value, NULL, 10);
            else if (!strcmp(key, "util_memory")) d.util_memory = (unsigned int)strtoul(value, NULL, 10);
            else if (!strcmp(key, "temperature")) d.temperature = (unsigned int)strtoul(value, NULL, 10);
            else if (!strcmp(key, "power_mw")) d.power_mw = (unsigned int)strtoul(value, NULL, 10);
            else if (!strcmp(key, "energy_mj")) d.energy_mj = strtoull(value, NULL, 10);
            else if (!strcmp(key, "sm_mhz")) d.sm_mhz = (unsigned int)strtoul(value, NULL, 10);
            else if (!strcmp(key, "memory_mhz")) d.memory_mhz = (unsigned int)strtoul(value, NULL, 10);
        }
        if (d.index >= MAX_GPUS) return;
        struct nvmlDevice_st *slot = &devices[d.index];
        /* Update in place: handles the daemon holds are pointers into this array. */
        d.present = 1;
        d.lost = slot->lost;
        d.lost_latched = slot->lost_latched;
        *slot = d;
        if (d.index + 1 > device_count) device_count = d.index + 1;
    } else if (strcmp(directive, "lost") == 0) {
        while (next_pair(&cursor, &key, &value))
            if (!strcmp(key, "gpu")) {
                unsigned long i = strtoul(value, NULL, 10);
                if (i < MAX_GPUS) devices[i].lost = 1;
            }
    } else if (strcmp(directive, "fault") == 0 || strcmp(directive, "slow") == 0) {
        if (rule_count >= MAX_RULES) return;
        struct rule r = { .gpu = -1 };
        while (next_pair(&cursor, &key, &value)) {
            if (!strcmp(key, "call")) copy_text(r.call, sizeof r.call, value);
            else if (!strcmp(key, "gpu")) r.gpu = strcmp(value, "*") ? atoi(value) : -1;
            else if (!strcmp(key, "code")) r.code = atoi(value);
            else if (!strcmp(key, "ms")) r.slow_ms = atoi(value);
        }
        if (r.call[0]) rules[rule_count++] = r;
    } else if (strcmp(directive, "xid") == 0) {
        if (xid_count >= MAX_XIDS) return;
        struct xid_event e = { .gpu = 0 };
        while (next_pair(&cursor, &key, &value)) {
            if (!strcmp(key, "gpu")) e.gpu = atoi(value);
            else if (!strcmp(key, "xid")) e.xid = strtoull(value, NULL, 10);
            else if (!strcmp(key, "seq")) e.seq = strtoull(value, NULL, 10);
        }
        if (e.seq == 0) e.seq = (unsigned long long)xid_count + 1;
        xids[xid_count++] = e;
    }
}

/* Re-reads the file when it changed (mtime, size or inode). Called with the lock held. */
static void reload(void)
{
    const char *path = config_path[0] ? config_path : getenv("NVML_SIM_CONFIG");
    struct stat st;
    if (!path || stat(path, &st) != 0) {
        if (loaded_size != -1) { /* the file went away: no GPUs */
            for (unsigned int i = 0; i < MAX_GPUS; i++) devices[i].present = 0;
            device_count = 0;
            rule_count = xid_count = 0;
            loaded_size = -1;
        }
        return;
    }
    if (st.st_size == loaded_size && st.st_ino == loaded_inode && st.st_mtim.tv_sec == loaded_mtime.tv_sec
        && st.st_mtim.tv_nsec == loaded_mtime.tv_nsec)
        return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    for (unsigned int i = 0; i < MAX_GPUS; i++) {
        devices[i].present = 0;
        devices[i].lost = 0;
    }
    device_count = 0;
    rule_count = xid_count = 0;
    char line[1024];
    while (fgets(line, sizeof line, f)) parse_line(line);
    fclose(f);
    loaded_mtime = st.st_mtim;
    loaded_size = st.st_size;
    loaded_inode = st.st_ino;
}

static void sleep_ms(int ms)
{
    struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) == -1 && errno == EINTR) {}
}

/*
 * Every entry point starts here: reload the file, apply the call's slowness and injected fault, and check
 * the device. Returns with the lock held on NVML_SUCCESS only.
 */
static nvmlReturn_t begin(const char *call, nvmlDevice_t device, int needs_init)
{
    int slow = 0;
    pthread_mutex_lock(&lock);
    reload();
    for (int i = 0; i < rule_count; i++)
        if (rules[i].slow_ms > 0 && !strcmp(rules[i].call, call)) slow += rules[i].slow_ms;
    if (slow) {
        pthread_mutex_unlock(&lock);
        sleep_ms(slow);
        pthread_mutex_lock(&lock);
    }
    if (needs_init && !initialized) { pthread_mutex_unlock(&lock); return NVML_ERROR_UNINITIALIZED; }
    int gpu = -1;
    if (device) {
        if (device < devices || device >= devices + MAX_GPUS || !device->present) {
            pthread_mutex_unlock(&lock);
            return NVML_ERROR_INVALID_ARGUMENT;
        }
        gpu = (int)(device - devices);
    }
    for (int i = 0; i < rule_count; i++) {
        if (rules[i].slow_ms > 0 || strcmp(rules[i].call, call)) continue;
        if (rules[i].gpu != -1 && rules[i].gpu != gpu) continue;
        nvmlReturn_t code = (nvmlReturn_t)rules[i].code;
        pthread_mutex_unlock(&lock);
        return code;
    }
    if (device && (device->lost || device->lost_latched)) {
        device->lost_latched = 1;
        pthread_mutex_unlock(&lock);
        return NVML_ERROR_GPU_IS_LOST;
    }
    return NVML_SUCCESS;
}

static nvmlReturn_t done(void)
{
    pthread_mutex_unlock(&lock);
    return NVML_SUCCESS;
}

/* ---- initialisation ---- */

static nvmlReturn_t init(const char *call)
{
    nvmlReturn_t r = begin(call, NULL, 0);
    if (r != NVML_SUCCESS) return r;
    initialized++;
    /* A re-init finds GPUs the file no longer marks lost healthy again. */
    for (unsigned int i = 0; i < MAX_GPUS; i++) devices[i].lost_latched = 0;
    if (load_time.tv_sec == 0) clock_gettime(CLOCK_MONOTONIC, &load_time);
    return done();
}

#ifndef NVML_SIM_LEGACY_ONLY
EXPORT nvmlReturn_t nvmlInit_v2(void) { return init("nvmlInit_v2"); }
#endif
EXPORT nvmlReturn_t nvmlInit(void) { return init("nvmlInit"); }

EXPORT nvmlReturn_t nvmlShutdown(void)
{
    nvmlReturn_t r = begin("nvmlShutdown", NULL, 1);
    if (r != NVML_SUCCESS) return r;
    initialized--;
    return done();
}

EXPORT const char *nvmlErrorString(nvmlReturn_t result)
{
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
    case NVML_ERROR_NOT_FOUND: return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_TIMEOUT: return "Timeout";
    case NVML_ERROR_LIBRARY_NOT_FOUND: return "NVML Shared Library Not Found";
    case NVML_ERROR_FUNCTION_NOT_FOUND: return "Function Not Found";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
    }
}

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)
{
    nvmlReturn_t r = begin("nvmlSystemGetDriverVersion", NULL, 1);
    if (r != NVML_SUCCESS) return r;
    if (!version || length < 16) { pthread_mutex_unlock(&lock); return NVML_ERROR_INSUFFICIENT_SIZE; }
    copy_text(version, length, "550.54.15");
    return done();
}

/* ---- devices ---- */

static nvmlReturn_t get_count(const char *call, unsigned int *count)
{
    nvmlReturn_t r = begin(call, NULL, 1);
    if (r != NVML_SUCCESS) return r;
    if (!count) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    *count = device_count;
    return done();
}

static nvmlReturn_t get_handle(const char *call, unsigned int index, nvmlDevice_t *device)
{
    nvmlReturn_t r = begin(call, NULL, 1);
    if (r != NVML_SUCCESS) return r;
    if (!device || index >= device_count || !devices[index].present) {
        pthread_mutex_unlock(&lock);
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (devices[index].lost) {
        devices[index].lost_latched = 1;
        pthread_mutex_unlock(&lock);
        return NVML_ERROR_GPU_IS_LOST;
    }
    *device = &devices[index];
    return done();
}

#ifndef NVML_SIM_LEGACY_ONLY
EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) { return get_count("nvmlDeviceGetCount_v2", count); }
EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    return get_handle("nvmlDeviceGetHandleByIndex_v2", index, device);
}
#endif
EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int *count) { return get_count("nvmlDeviceGetCount", count); }
EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t *device)
{
    return get_handle("nvmlDeviceGetHandleByIndex", index, device);
}

/* Copies a string into the caller's buffer as NVML does: INSUFFICIENT_SIZE when it does not fit. */
static nvmlReturn_t give_text(char *buffer, unsigned int length, const char *text)
{
    if (!buffer) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    if (strlen(text) + 1 > length) { pthread_mutex_unlock(&lock); return NVML_ERROR_INSUFFICIENT_SIZE; }
    memcpy(buffer, text, strlen(text) + 1);
    return done();
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    nvmlReturn_t r = begin("nvmlDeviceGetName", device, 1);
    return r != NVML_SUCCESS ? r : give_text(name, length, device->name);
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    nvmlReturn_t r = begin("nvmlDeviceGetUUID", device, 1);
    return r != NVML_SUCCESS ? r : give_text(uuid, length, device->uuid);
}

static nvmlReturn_t get_pci(const char *call, nvmlDevice_t device, nvmlPciInfo_t *pci)
{
    nvmlReturn_t r = begin(call, device, 1);
    if (r != NVML_SUCCESS) return r;
    if (!pci) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    memset(pci, 0, sizeof *pci);
    copy_text(pci->busId, sizeof pci->busId, device->pci);
    unsigned int domain = 0, bus = 0, dev = 0;
    sscanf(device->pci, "%x:%x:%x", &domain, &bus, &dev);
    pci->domain = domain;
    pci->bus = bus;
    pci->device = dev;
    snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04x:%02x:%02x.0", domain & 0xffff, bus & 0xff, dev & 0xff);
    pci->pciDeviceId = 0x233510de;
    pci->pciSubSystemId = 0x18a010de;
    return done();
}

#ifndef NVML_SIM_LEGACY_ONLY
EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) { return get_pci("nvmlDeviceGetPciInfo_v3", device, pci); }
#endif
EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t device, nvmlPciInfo_t *pci) { return get_pci("nvmlDeviceGetPciInfo_v2", device, pci); }

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
    nvmlReturn_t r = begin("nvmlDeviceGetMemoryInfo", device, 1);
    if (r != NVML_SUCCESS) return r;
    if (!memory) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    memory->total = device->memory_total_mib << 20;
    memory->used = device->memory_used_mib << 20;
    memory->free = memory->total - memory->used;
    return done();
}

#ifndef NVML_SIM_LEGACY_ONLY
EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory)
{
    nvmlReturn_t r = begin("nvmlDeviceGetMemoryInfo_v2", device, 1);
    if (r != NVML_SUCCESS) return r;
    if (!memory) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    /* The driver refuses a struct of another version, as a guard against a wrong layout. */
    if (memory->version != nvmlMemory_v2) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    memory->total = device->memory_total_mib << 20;
    memory->reserved = 0;
    memory->used = device->memory_used_mib << 20;
    memory->free = memory->total - memory->used;
    return done();
}
#endif

EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization)
{
    nvmlReturn_t r = begin("nvmlDeviceGetUtilizationRates", device, 1);
    if (r != NVML_SUCCESS) return r;
    if (!utilization) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    utilization->gpu = device->util_gpu;
    utilization->memory = device->util_memory;
    return done();
}

EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int *temp)
{
    nvmlReturn_t r = begin("nvmlDeviceGetTemperature", device, 1);
    if (r != NVML_SUCCESS) return r;
    if (!temp || sensor != 0) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    *temp = device->temperature;
    return done();
}

EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
    nvmlReturn_t r = begin("nvmlDeviceGetPowerUsage", device, 1);
    if (r != NVML_SUCCESS) return r;
    if (!power) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    *power = device->power_mw;
    return done();
}

#ifndef NVML_SIM_LEGACY_ONLY
EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy)
{
    nvmlReturn_t r = begin("nvmlDeviceGetTotalEnergyConsumption", device, 1);
    if (r != NVML_SUCCESS) return r;
    if (!energy) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    /* The counter grows with the current draw since the library was first initialised: mW × ms / 1000 = mJ. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned long long ms = (unsigned long long)(now.tv_sec - load_time.tv_sec) * 1000ULL
        + (unsigned long long)((now.tv_nsec - load_time.tv_nsec) / 1000000L);
    *energy = device->energy_mj + (unsigned long long)device->power_mw * ms / 1000ULL;
    return done();
}
#endif

EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, int type, unsigned int *clock)
{
    nvmlReturn_t r = begin("nvmlDeviceGetClockInfo", device, 1);
    if (r != NVML_SUCCESS) return r;
    if (!clock || type < 0 || type > 2) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    *clock = type == 2 ? device->memory_mhz : device->sm_mhz; /* graphics and SM clocks run together here */
    return done();
}

/* ---- events ---- */

EXPORT nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t *set)
{
    nvmlReturn_t r = begin("nvmlEventSetCreate", NULL, 1);
    if (r != NVML_SUCCESS) return r;
    if (!set) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    for (int i = 0; i < MAX_SETS; i++) {
        if (sets[i].used) continue;
        memset(&sets[i], 0, sizeof sets[i]);
        sets[i].used = 1;
        /* Events already in the file happened before the set existed. */
        for (int x = 0; x < xid_count; x++)
            if (xids[x].seq > sets[i].delivered_seq) sets[i].delivered_seq = xids[x].seq;
        *set = &sets[i];
        return done();
    }
    pthread_mutex_unlock(&lock);
    return NVML_ERROR_UNKNOWN;
}

EXPORT nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set)
{
    nvmlReturn_t r = begin("nvmlEventSetFree", NULL, 1);
    if (r != NVML_SUCCESS) return r;
    if (set < sets || set >= sets + MAX_SETS) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    set->used = 0;
    return done();
}

EXPORT nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device, unsigned long long types, nvmlEventSet_t set)
{
    nvmlReturn_t r = begin("nvmlDeviceRegisterEvents", device, 1);
    if (r != NVML_SUCCESS) return r;
    if (set < sets || set >= sets + MAX_SETS || !set->used) { pthread_mutex_unlock(&lock); return NVML_ERROR_INVALID_ARGUMENT; }
    if (types & ~(unsigned long long)nvmlEventTypeXidCriticalError) { pthread_mutex_unlock(&lock); return NVML_ERROR_NOT_SUPPORTED; }
    set->registered |= 1ULL << (device - devices);
    return done();
}

static nvmlReturn_t wait_event(const char *call, nvmlEventSet_t set, nvmlEventData_t *data, unsigned int timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        nvmlReturn_t r = begin(call, NULL, 1);
        if (r != NVML_SUCCESS) return r;
        if (set < sets || set >= sets + MAX_SETS || !set->used || !data) {
            pthread_mutex_unlock(&lock);
            return NVML_ERROR_INVALID_ARGUMENT;
        }
        int best = -1;
        for (int x = 0; x < xid_count; x++) {
            if (xids[x].seq <= set->delivered_seq || xids[x].gpu < 0 || xids[x].gpu >= MAX_GPUS) continue;
            if (!(set->registered & (1ULL << xids[x].gpu))) continue;
            if (best < 0 || xids[x].seq < xids[best].seq) best = x;
        }
        if (best >= 0) {
            set->delivered_seq = xids[best].seq;
            data->device = &devices[xids[best].gpu];
            data->eventType = nvmlEventTypeXidCriticalError;
            data->eventData = xids[best].xid;
#ifndef NVML_SIM_LEGACY_ONLY
            data->gpuInstanceId = 0xFFFFFFFFu;
            data->computeInstanceId = 0xFFFFFFFFu;
#endif
            return done();
        }
        pthread_mutex_unlock(&lock);
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
        if (elapsed >= (long)timeout_ms) return NVML_ERROR_TIMEOUT;
        sleep_ms(20);
    }
}

#ifndef NVML_SIM_LEGACY_ONLY
EXPORT nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t *data, unsigned int timeout_ms)
{
    return wait_event("nvmlEventSetWait_v2", set, data, timeout_ms);
}
#endif
EXPORT nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t *data, unsigned int timeout_ms)
{
    return wait_event("nvmlEventSetWait", set, data, timeout_ms);
}

/* ---- for tests: this copy's file (instead of NVML_SIM_CONFIG), and struct sizes and offsets ---- */

EXPORT void nvmlSimUseConfig(const char *path)
{
    pthread_mutex_lock(&lock);
    copy_text(config_path, sizeof config_path, path ? path : "");
    loaded_size = -2; /* force a re-read */
    pthread_mutex_unlock(&lock);
}

/* ---- for the layout tests: sizes and offsets as this compiler lays the structs out ---- */

#define LAYOUT(s, f) if (!strcmp(what, #s "." #f)) return (int)offsetof(s, f);
EXPORT int nvmlSimLayout(const char *what)
{
    if (!what) return -1;
    if (!strcmp(what, "nvmlPciInfo_t")) return (int)sizeof(nvmlPciInfo_t);
    if (!strcmp(what, "nvmlMemory_t")) return (int)sizeof(nvmlMemory_t);
    if (!strcmp(what, "nvmlMemory_v2_t")) return (int)sizeof(nvmlMemory_v2_t);
    if (!strcmp(what, "nvmlUtilization_t")) return (int)sizeof(nvmlUtilization_t);
    if (!strcmp(what, "nvmlEventData_t")) return (int)sizeof(nvmlEventData_t);
    if (!strcmp(what, "nvmlMemory_v2")) return (int)nvmlMemory_v2;
    LAYOUT(nvmlPciInfo_t, busIdLegacy) LAYOUT(nvmlPciInfo_t, domain) LAYOUT(nvmlPciInfo_t, bus)
    LAYOUT(nvmlPciInfo_t, device) LAYOUT(nvmlPciInfo_t, pciDeviceId) LAYOUT(nvmlPciInfo_t, pciSubSystemId)
    LAYOUT(nvmlPciInfo_t, busId)
    LAYOUT(nvmlMemory_t, total) LAYOUT(nvmlMemory_t, free) LAYOUT(nvmlMemory_t, used)
    LAYOUT(nvmlMemory_v2_t, version) LAYOUT(nvmlMemory_v2_t, total) LAYOUT(nvmlMemory_v2_t, reserved)
    LAYOUT(nvmlMemory_v2_t, free) LAYOUT(nvmlMemory_v2_t, used)
    LAYOUT(nvmlUtilization_t, gpu) LAYOUT(nvmlUtilization_t, memory)
    LAYOUT(nvmlEventData_t, device) LAYOUT(nvmlEventData_t, eventType) LAYOUT(nvmlEventData_t, eventData)
    LAYOUT(nvmlEventData_t, gpuInstanceId) LAYOUT(nvmlEventData_t, computeInstanceId)
    return -1;
}
