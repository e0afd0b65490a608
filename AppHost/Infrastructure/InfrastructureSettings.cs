using Microsoft.Extensions.Configuration;

namespace Onboarding.AppHost.Infrastructure;

/// <summary>
/// The <c>Infrastructure</c> configuration section. Every key can also come from the command line
/// (<c>--Infrastructure:Mode executables</c>) or the environment (<c>Infrastructure__Mode=executables</c>).
/// </summary>
internal sealed record InfrastructureSettings
{
    public const string SectionName = "Infrastructure";

    // Quorum queues need a majority: more than seven nodes only add replication traffic, and each node costs about
    // 130 MB and a share of the cores on one machine.
    private const int MaxRabbitMQNodes = 7;

    public InfrastructureMode Mode { get; init; } = InfrastructureMode.Auto;

    /// <summary>The RabbitMQ management UI; tests turn it off because it adds about 5 s to the broker's shutdown.</summary>
    public bool RabbitMQManagement { get; init; } = true;

    /// <summary>
    /// Keep broker and cache data across runs, like a container volume. Tests turn it off so that each run starts
    /// from empty servers.
    /// </summary>
    public bool PersistentData { get; init; } = true;

    /// <summary>
    /// Redis's append-only file, so stored results survive a restart of the server. Defaults to
    /// <see cref="PersistentData"/>; the fault suite turns it on for fresh data because it restarts Redis under load.
    /// </summary>
    public bool? RedisAppendOnly { get; init; }

    /// <summary>
    /// RabbitMQ nodes: 1 (the default) runs one broker; more run that many nodes that form one cluster, and every
    /// service gets all of them in its connection string.
    /// </summary>
    public int RabbitMQNodes { get; init; } = 1;

    /// <summary>Only RabbitMQ and Redis, without the services and workers: what the engine's own tests need.</summary>
    public bool Only { get; init; }

    /// <summary>Where persistent data of the local executables lives; defaults to <c>.data</c> beside the AppHost.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// Where the connection settings for command-line tools are written: unset, a default per-user file for runs with
    /// persistent data and none otherwise; empty, none.
    /// </summary>
    public string? StateFile { get; init; }

    public string RabbitMQServerPath { get; init; } = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    public string RabbitMQCtlPath { get; init; } = "/usr/lib/rabbitmq/bin/rabbitmqctl";

    public string RedisServerPath { get; init; } = "/usr/bin/redis-server";

    private static int RabbitMQNodeCount(string? configured, int defaultCount) =>
        string.IsNullOrWhiteSpace(configured)
            ? defaultCount
            : int.TryParse(configured, System.Globalization.CultureInfo.InvariantCulture, out var nodes) && nodes is >= 1 and <= MaxRabbitMQNodes
                ? nodes
                : throw new InfrastructureUnavailableException(
                    $"Infrastructure:RabbitMQNodes is '{configured}'; it must be a number from 1 to {MaxRabbitMQNodes} (3 for a cluster that survives the loss of a node).");

    public static InfrastructureSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var defaults = new InfrastructureSettings();
        var mode = section["Mode"];
        return new InfrastructureSettings
        {
            Mode = string.IsNullOrWhiteSpace(mode)
                ? InfrastructureMode.Auto
                : Enum.TryParse<InfrastructureMode>(mode, ignoreCase: true, out var parsed)
                    ? parsed
                    : throw new InfrastructureUnavailableException(
                        $"Infrastructure:Mode '{mode}' is not one of auto, containers, executables."),
            RabbitMQManagement = section.GetValue("RabbitMQManagement", defaults.RabbitMQManagement),
            PersistentData = section.GetValue("PersistentData", defaults.PersistentData),
            Only = section.GetValue("Only", defaults.Only),
            RabbitMQNodes = RabbitMQNodeCount(section["RabbitMQNodes"], defaults.RabbitMQNodes),
            RedisAppendOnly = section.GetValue<bool?>("RedisAppendOnly"),
            DataDirectory = section["DataDirectory"],
            StateFile = section["StateFile"],
            RabbitMQServerPath = section["RabbitMQServerPath"] ?? defaults.RabbitMQServerPath,
            RabbitMQCtlPath = section["RabbitMQCtlPath"] ?? defaults.RabbitMQCtlPath,
            RedisServerPath = section["RedisServerPath"] ?? defaults.RedisServerPath,
        };
    }
}
