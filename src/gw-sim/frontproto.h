/* The link between a simulated front (`hamd-gw-sim --front ENDPOINT`)
 * and the gateways connected to it (`hamd-gw-sim` with the `upstream`
 * param): what a CTP front is to a vnpy_ctp gateway (docs/gw-sim.md,
 * "Fronts and upstream mode").
 *
 * The front binds a ZeroMQ ROUTER; each gateway connects a DEALER (no
 * routing identity: the front knows a connection, not an account, as a
 * CTP front knows a session). The messages are those of the gateway
 * protocol (hamd/gwproto.h), with the same codecs:
 *
 *   gateway -> front   HB          {ts_ns}     every GWSIM_FRONT_HB_MS
 *                      SUBSCRIBE   {symbols}   after every link-up, and
 *                                              when the hub adds contracts
 *                      UNSUBSCRIBE {symbols}
 *   front -> gateway   HB          {ts_ns}     every GWSIM_FRONT_HB_MS
 *                      TICK        [body]...   the subscribed contracts'
 *                                              ticks, up to 64 per message
 *
 * Any message registers the connection as a client of the front; a client
 * silent for GWSIM_FRONT_CLIENT_TIMEOUT_MS, or whose connection is gone,
 * is forgotten with its subscriptions. A gateway that hears nothing from
 * the front for its `link_timeout_ms` declares the link lost (CTP's
 * OnFrontDisconnected), opens a new connection and subscribes again once
 * the front answers (OnFrontConnected, login, SubscribeMarketData).
 */
#ifndef GWSIM_FRONTPROTO_H
#define GWSIM_FRONTPROTO_H

/* Heartbeat of both sides. 200 ms lets a gateway tell a dead front from a
 * quiet one within a second (5 missed beats) at a cost of 5 tiny messages
 * per second per connection. */
#define GWSIM_FRONT_HB_MS 200

/* A gateway that sent nothing (not even its HB) for this long is
 * forgotten: 15 missed beats, so a loaded host is not dropped by mistake,
 * while a host cut off the front stops costing the front a send queue. */
#define GWSIM_FRONT_CLIENT_TIMEOUT_MS 3000

#endif /* GWSIM_FRONTPROTO_H */
