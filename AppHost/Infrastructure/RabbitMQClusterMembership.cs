namespace Onboarding.AppHost.Infrastructure;

/// <summary>
/// What a local <c>rabbitmq-server</c> needs to join a cluster: the password every node shares (a client may land on
/// any of them), the Erlang cookie nodes authenticate each other with, and the node it joins when its data is empty.
/// </summary>
/// <param name="Password">The password of the one user, on every node.</param>
/// <param name="Cookie">The Erlang cookie, the nodes' shared secret.</param>
/// <param name="SeedNodeName">
/// The first node's Erlang name, or null for the first node itself. The first node boots on its own; every other node
/// lists it (and itself) for RabbitMQ's classic-config peer discovery and joins it on its first boot. Had every node
/// listed every other one, three empty nodes started together would each wait for the others' tables forever. A node
/// with data rejoins its cluster from that data, so restarts need no list.
/// </param>
internal sealed record RabbitMQClusterMembership(ParameterResource Password, ParameterResource Cookie, string? SeedNodeName);
