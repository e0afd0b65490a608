namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// RabbitMQ nodes that form one cluster, as one resource the services reference. Its connection string lists every
/// node's AMQP URI separated by <c>;</c>, the failover form Celery's <c>broker_url</c> takes as it is and the task
/// engine turns into RabbitMQ.Client's endpoint list: a client connects to any node that is up and moves to another
/// when its node goes away. It runs no process itself: it is running while a node is, and healthy once every node
/// runs in the one cluster.
/// </summary>
public sealed class RabbitMQClusterResource(string name, ParameterResource password) : Resource(name), IResourceWithConnectionString
{
    internal const string UserName = "guest";

    private readonly List<IResourceWithConnectionString> _nodes = [];

    /// <summary>The nodes, the first being the one the others join on their first boot.</summary>
    public IReadOnlyList<IResourceWithConnectionString> Nodes => _nodes;

    /// <summary>The password every node shares, so that a client's one set of credentials works on any of them.</summary>
    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            // Each node by reference, so a published manifest reads {rabbitmq-0.connectionString};{rabbitmq-1...}.
            var builder = new ReferenceExpressionBuilder();
            for (var i = 0; i < _nodes.Count; i++)
            {
                if (i > 0)
                {
                    builder.AppendLiteral(";");
                }

                builder.AppendFormatted(new ConnectionStringReference(_nodes[i], optional: false));
            }

            return builder.Build();
        }
    }

    internal void AddNode(IResourceWithConnectionString node) => _nodes.Add(node);

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties()
    {
        yield return new("Username", ReferenceExpression.Create($"{UserName}"));
        yield return new("Password", ReferenceExpression.Create($"{PasswordParameter}"));
        yield return new("Uri", ConnectionStringExpression);
    }
}
