using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Tests.TaskEngine.Architecture;

/// <summary>
/// The engine's folders are its architecture: each is a namespace, and these tests read the compiled assembly's type
/// references to keep them honest.
/// </summary>
public sealed class TaskEngineLayeringTests
{
    private static readonly TypeReferenceGraph Graph = TypeReferenceGraph.Read(typeof(ITaskClient).Assembly.Location);

    [Fact]
    public void Namespaces_FormNoCycle_InTheTaskEngineAssembly()
    {
        var cycles = StronglyConnected(Graph.NamespaceEdges).Where(component => component.Count > 1).ToList();

        var report = string.Join(Environment.NewLine + Environment.NewLine, cycles.Select(component =>
            string.Join(Environment.NewLine, component.SelectMany(from => Graph.NamespaceEdges[from]
                .Where(edge => component.Contains(edge.Key))
                .Select(edge => $"{from} -> {edge.Key}: {edge.Value}")))));
        Assert.True(cycles.Count == 0, "Namespace cycles:" + Environment.NewLine + report);
    }

    [Theory]
    [InlineData("RabbitMQ.Client", "Onboarding.TaskEngine.RabbitMq")]
    [InlineData("StackExchange.Redis", "Onboarding.TaskEngine.Redis")]
    public void ClientLibrary_IsUsedOnlyByItsTransportFolder_InTheTaskEngineAssembly(string assembly, string owner)
    {
        var users = Graph.AssemblyEdges
            .Where(edges => edges.Key != owner && edges.Value.ContainsKey(assembly))
            .Select(edges => $"{edges.Key}: {edges.Value[assembly]}")
            .ToList();

        Assert.True(users.Count == 0, $"{assembly} used outside {owner}:" + Environment.NewLine + string.Join(Environment.NewLine, users));
    }

    [Fact]
    public void Graph_SeesReferencesInMethodBodies_WhenASignatureDoesNotShowThem()
    {
        // The graph must not be blind (a test that cannot fail): the executor builds and calls what no signature of
        // its namespace names, and the RabbitMQ folder calls the client library.
        Assert.Contains("Onboarding.TaskEngine.Protocol", Graph.NamespaceEdges["Onboarding.TaskEngine.Execution"].Keys);
        Assert.Contains("RabbitMQ.Client", Graph.AssemblyEdges["Onboarding.TaskEngine.RabbitMq"].Keys);
        Assert.Contains("StackExchange.Redis", Graph.AssemblyEdges["Onboarding.TaskEngine.Redis"].Keys);
    }

    // Tarjan's algorithm: the strongly connected components of the namespace graph; any with two or more is a cycle.
    private static List<HashSet<string>> StronglyConnected(Dictionary<string, Dictionary<string, string>> edges)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<HashSet<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in edges.TryGetValue(node, out var targets) ? targets.Keys.ToList() : [])
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], index[next]);
                }
            }

            if (low[node] == index[node])
            {
                var component = new HashSet<string>(StringComparer.Ordinal);
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                components.Add(component);
            }
        }

        foreach (var node in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return components;
    }
}
