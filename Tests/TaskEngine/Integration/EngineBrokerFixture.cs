using Xunit;

namespace Onboarding.Tests.TaskEngine.Integration;

/// <summary>
/// Real RabbitMQ and Redis for engine tests, from <c>ONBOARDING_TEST_RABBITMQ</c> (amqp URI) and
/// <c>ONBOARDING_TEST_REDIS</c> (StackExchange.Redis configuration). Missing variables fail the tests: they never skip.
/// To be replaced by the shared <c>BrokerFixture</c> from Tests/Infrastructure when it lands.
/// </summary>
public sealed class EngineBrokerFixture
{
    public string RabbitMqConnectionString { get; } = Require("ONBOARDING_TEST_RABBITMQ");

    public string RedisConnectionString { get; } = Require("ONBOARDING_TEST_REDIS");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Set {name} to a running server (e.g. amqp://guest:guest@localhost:5672 / localhost:6379) to run the engine's broker tests.");
}

[CollectionDefinition(Name)]
public sealed class EngineBrokerCollection : ICollectionFixture<EngineBrokerFixture>
{
    public const string Name = "Engine broker";
}
