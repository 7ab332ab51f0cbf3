/*
 * PathRecord round-trip loop over libibumad: the C baseline the addon is
 * measured against (bench/umad-pathrecord.bench.ts builds and runs it).
 *
 *   pathrecord_loop <round trips> <warm-up round trips> <destination port GUID, hex>
 *
 * Opens the first CA's first active port, sends SA PathRecord Get (DGID, SGID)
 * to the SM LID, waits for the GetResp with the same TID, and repeats, one
 * request in flight at a time. Prints one JSON line: round trips, seconds,
 * p50/p99 latency in microseconds, and the DLID of the last answer.
 */
#include <infiniband/umad.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAD_SIZE 256
#define SA_CLASS 0x03
#define SA_CLASS_VERSION 2
#define METHOD_GET 0x01
#define METHOD_GET_RESP 0x81
#define ATTR_PATH_RECORD 0x0035
#define SA_DATA 56
#define GSI_QKEY 0x80010000u
#define PR_MASK_DGID (1u << 2)
#define PR_MASK_SGID (1u << 3)

static void put16(uint8_t *b, int o, uint16_t v) { b[o] = v >> 8; b[o + 1] = v; }
static void put32(uint8_t *b, int o, uint32_t v) { put16(b, o, v >> 16); put16(b, o + 2, v); }
static void put64(uint8_t *b, int o, uint64_t v) { put32(b, o, v >> 32); put32(b, o + 4, v); }
static uint16_t get16(const uint8_t *b, int o) { return (uint16_t)(b[o] << 8 | b[o + 1]); }
static uint32_t get32(const uint8_t *b, int o) { return (uint32_t)get16(b, o) << 16 | get16(b, o + 2); }

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void fail(const char *call, int ret)
{
	int err = ret < -1 ? -ret : errno;
	fprintf(stderr, "%s failed: %s\n", call, strerror(err ? err : EIO));
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s <round trips> <warm-up> <destination port GUID>\n", argv[0]);
		return 2;
	}
	long count = strtol(argv[1], NULL, 10);
	long warmup = strtol(argv[2], NULL, 10);
	uint64_t dguid = strtoull(argv[3], NULL, 16);
	if (count <= 0 || warmup < 0) {
		fprintf(stderr, "round trips must be > 0 and warm-up >= 0\n");
		return 2;
	}

	umad_port_t port;
	int ret = umad_get_port(NULL, 0, &port);
	if (ret < 0)
		fail("umad_get_port", ret);
	int fd = umad_open_port(port.ca_name, port.portnum);
	if (fd < 0)
		fail("umad_open_port", fd);
	int agent = umad_register(fd, SA_CLASS, SA_CLASS_VERSION, 0, NULL);
	if (agent < 0)
		fail("umad_register", agent);

	uint8_t *send_buf = calloc(1, umad_size() + MAD_SIZE);
	uint8_t *recv_buf = calloc(1, umad_size() + MAD_SIZE);
	double *lat = calloc((size_t)count, sizeof(double));
	if (!send_buf || !recv_buf || !lat) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	uint8_t *mad = umad_get_mad(send_buf);
	mad[0] = 1;
	mad[1] = SA_CLASS;
	mad[2] = SA_CLASS_VERSION;
	mad[3] = METHOD_GET;
	put16(mad, 16, ATTR_PATH_RECORD);
	put16(mad, 44, 64 >> 3); /* AttributeOffset: PathRecord is 64 bytes */
	put32(mad, 52, PR_MASK_DGID | PR_MASK_SGID);
	put64(mad, SA_DATA + 8, 0xfe80000000000000ull);
	put64(mad, SA_DATA + 16, dguid);
	put64(mad, SA_DATA + 24, be64toh(port.gid_prefix));
	put64(mad, SA_DATA + 32, be64toh(port.port_guid));
	int sm_lid = (int)port.sm_lid;

	uint16_t last_dlid = 0;
	double start = 0;
	for (long i = 0; i < warmup + count; i++) {
		if (i == warmup)
			start = now_us();
		uint32_t tid = (uint32_t)(i + 1);
		put32(mad, 12, tid);
		double t0 = now_us();
		umad_set_addr(send_buf, sm_lid, 1, 0, GSI_QKEY);
		ret = umad_send(fd, agent, send_buf, MAD_SIZE, 1000, 3);
		if (ret < 0)
			fail("umad_send", ret);
		for (;;) {
			int len = MAD_SIZE;
			ret = umad_recv(fd, recv_buf, &len, 5000);
			if (ret < 0)
				fail("umad_recv", ret);
			const uint8_t *r = umad_get_mad(recv_buf);
			if (umad_status(recv_buf) != 0) {
				fprintf(stderr, "PathRecord Get %u: MAD status %d\n", tid, umad_status(recv_buf));
				return 1;
			}
			if (r[3] == METHOD_GET_RESP && get32(r, 12) == tid) {
				if (get16(r, 4) != 0) {
					fprintf(stderr, "PathRecord Get %u: SA status 0x%04x\n", tid, get16(r, 4));
					return 1;
				}
				last_dlid = get16(r, SA_DATA + 40);
				break;
			}
		}
		if (i >= warmup)
			lat[i - warmup] = now_us() - t0;
	}
	double seconds = (now_us() - start) / 1e6;
	qsort(lat, (size_t)count, sizeof(double), cmp_double);
	printf("{\"roundTrips\":%ld,\"seconds\":%.6f,\"p50Us\":%.2f,\"p99Us\":%.2f,\"dlid\":%u}\n",
	       count, seconds, lat[count / 2], lat[(count * 99) / 100], last_dlid);

	umad_unregister(fd, agent);
	umad_close_port(fd);
	umad_release_port(&port);
	free(lat);
	free(recv_buf);
	free(send_buf);
	return 0;
}
