#include "daemon/router.h"

#include <stdint.h>
#include <stdlib.h>

#include "daemon/audio.h"
#include "daemon/hub.h"
#include "daemon/log.h"
#include "daemon/server.h"

/* What the router keeps of one client, from its first claim or state until it is gone. */
struct route {
	struct client *c;
	uint64_t claimed;            /* order of its last claim; 0: not claiming */
	bool recording, report_open; /* its last state */
	struct route *next;
};

static struct route *routes;
static uint64_t n_claims_made;   /* orders the claims: the highest one owns */

static struct route *route_of(struct client *c, bool create)
{
	struct route *r;

	for (r = routes; r; r = r->next)
		if (r->c == c)
			return r;
	if (!create)
		return NULL;
	r = calloc(1, sizeof *r);
	if (!r) {
		log_warn("out of memory: a client's claim or state is lost");
		return NULL;
	}
	r->c = c;
	r->next = routes;
	routes = r;
	return r;
}

static struct route *owner(void)
{
	struct route *top = NULL;

	for (struct route *r = routes; r; r = r->next)
		if (r->claimed && (!top || r->claimed > top->claimed))
			top = r;
	return top;
}

static void show_owner_state(void)
{
	struct route *o = owner();

	hub_show_state(o && o->recording, o && o->report_open);
}

/* The owner changed: the new one, if any, is told, and its state is shown at once. */
static void hand_over(void)
{
	struct route *now = owner();

	if (now)
		server_send_owned(now->c, pm_claim(true));
	show_owner_state();
}

static void claim(struct client *c)
{
	struct route *old = owner(), *r = route_of(c, true);

	if (!r) {
		server_send_owned(c, pm_claim(false));
		return;
	}
	r->claimed = ++n_claims_made;
	if (r == old) { /* the answer to its claim: it still owns the commands */
		server_send_owned(c, pm_claim(true));
		return;
	}
	if (old)
		server_send_owned(old->c, pm_claim(false));
	hand_over();
}

static void release(struct client *c)
{
	struct route *old = owner(), *r = route_of(c, false);

	if (r)
		r->claimed = 0;
	server_send_owned(c, pm_claim(false));
	if (r && r == old)
		hand_over();
}

static void state(struct client *c, const struct pm_request *req)
{
	struct route *r = route_of(c, true);

	if (!r)
		return;
	r->recording = req->recording;
	r->report_open = req->report_open;
	if (r == owner())
		show_owner_state();
}

char *router_request(struct client *c, const struct pm_request *req)
{
	switch (req->type) {
	case PM_REQ_CLAIM:
		claim(c);
		return NULL;
	case PM_REQ_RELEASE:
		release(c);
		return NULL;
	case PM_REQ_STATE:
		state(c, req);
		return NULL;
	case PM_REQ_LED:
		return hub_led(req);
	case PM_REQ_AUDIO_START:
	case PM_REQ_AUDIO_STOP:
		return audio_request(c, req);
	case PM_REQ_MODE:
		return hub_mode(req);
	case PM_REQ_PRESS:
	case PM_REQ_SLIDE:
		return hub_virtual_input(c, req);
	case PM_REQ_PING:
		break;
	}
	return NULL; /* ping is the server's own */
}

void router_client_gone(struct client *c)
{
	struct route **pp = &routes, *r;
	bool was_owner;

	hub_client_gone(c);
	while (*pp && (*pp)->c != c)
		pp = &(*pp)->next;
	if (!(r = *pp))
		return;
	was_owner = r == owner();
	*pp = r->next;
	free(r);
	if (was_owner)
		hand_over();
}

void router_send_command(const char *json)
{
	struct route *o = owner();

	if (o)
		server_send_to(o->c, json);
}
