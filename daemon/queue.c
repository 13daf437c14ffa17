#include "daemon/queue.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct dev_event *head, *tail;
static size_t count;
static uint64_t dropped_total;
static void (*wake_fn)(void);

void queue_init(void (*wake)(void))
{
	wake_fn = wake;
}

void queue_push(const struct dev_event *ev)
{
	struct dev_event *copy = malloc(sizeof *copy);
	bool was_empty;

	pthread_mutex_lock(&lock);
	if (!copy || count >= QUEUE_MAX_EVENTS) {
		dropped_total++;
		pthread_mutex_unlock(&lock);
		free(copy);
		return;
	}
	*copy = *ev;
	copy->next = NULL;
	was_empty = head == NULL;
	if (tail)
		tail->next = copy;
	else
		head = copy;
	tail = copy;
	count++;
	pthread_mutex_unlock(&lock);
	if (was_empty && wake_fn)
		wake_fn();
}

struct dev_event *queue_take_all(uint64_t *dropped)
{
	struct dev_event *list;

	pthread_mutex_lock(&lock);
	list = head;
	head = tail = NULL;
	count = 0;
	*dropped = dropped_total;
	dropped_total = 0;
	pthread_mutex_unlock(&lock);
	return list;
}

void queue_free(struct dev_event *list)
{
	while (list) {
		struct dev_event *next = list->next;
		free(list);
		list = next;
	}
}

void queue_shutdown(void)
{
	uint64_t dropped;

	queue_free(queue_take_all(&dropped));
	wake_fn = NULL;
}

uint64_t queue_now_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t queue_now_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
