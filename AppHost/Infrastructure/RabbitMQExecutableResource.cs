namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The machine's <c>rabbitmq-server</c> as an Aspire executable. Its connection string and connection properties have
/// the shape of the stock RabbitMQ container's, so the services cannot tell the two apart.
/// </summary>
public sealed class RabbitMQExecutableResource(
    string name,
    string command,
    string workingDirectory,
    string nodeName,
    ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string DistributionEndpointName = "dist";
    internal const string ManagementEndpointName = "management";

    // The stock container's default user, with a generated password instead of guest's.
    internal const string UserName = "guest";

    private EndpointReference? _primaryEndpoint;
    private EndpointReference? _distributionEndpoint;
    private EndpointReference? _managementEndpoint;

    /// <summary>The Erlang node name; rabbitmqctl needs it, and the data folder is keyed by it.</summary>
    public string NodeName { get; } = nodeName;

    public ParameterResource PasswordParameter { get; } = password;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    internal EndpointReference DistributionEndpoint => _distributionEndpoint ??= new(this, DistributionEndpointName);

    internal EndpointReference ManagementEndpoint => _managementEndpoint ??= new(this, ManagementEndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserName}:{PasswordParameter:uri}@{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties()
    {
        yield return new("Host", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Host)}"));
        yield return new("Port", ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.Port)}"));
        yield return new("Username", ReferenceExpression.Create($"{UserName}"));
        yield return new("Password", ReferenceExpression.Create($"{PasswordParameter}"));
        yield return new("Uri", ConnectionStringExpression);
    }
}
