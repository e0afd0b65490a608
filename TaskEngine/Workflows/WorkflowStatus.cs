using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>One step of a workflow status tree.</summary>
/// <param name="Id">The task id (or group id for a group node).</param>
/// <param name="Name">The task name (<c>celery.group</c> for a group node; empty when only a result's children named it).</param>
/// <param name="State">The stored state (PENDING when nothing is stored; for a group, derived from its members).</param>
/// <param name="Result">The result when SUCCESS.</param>
/// <param name="Exception">The stored exception when FAILURE, RETRY or REVOKED.</param>
/// <param name="Children">The steps it started: the next chain step, callbacks, group members, a chord body.</param>
public sealed record WorkflowNode(
    string Id,
    string Name,
    TaskState State,
    JsonElement? Result,
    ExceptionInfo? Exception,
    IReadOnlyList<WorkflowNode> Children);

/// <summary>Reads the status tree of a workflow from the result backend.</summary>
public interface IWorkflowStatusReader
{
    /// <summary>
    /// The tree under <paramref name="rootId"/> (<see cref="WorkflowResult.RootId"/>): every step planned so far,
    /// PENDING ones included, with its stored state and result. Null when nothing is known of that id.
    /// </summary>
    Task<WorkflowNode?> GetAsync(string rootId, CancellationToken cancellationToken = default);
}

/// <summary>
/// Merges the workflow index written at publish time (<c>onboarding-workflow-&lt;root&gt;</c>, one per id that
/// published children) with Celery's <c>children</c> in the result metas, so Python-published steps show too.
/// </summary>
internal sealed class WorkflowStatusReader(IWorkflowStore store, IResultBackend backend) : IWorkflowStatusReader
{
    private const int MaxNodes = 10_000;

    public async Task<WorkflowNode?> GetAsync(string rootId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootId);
        var nodes = new Dictionary<string, (string Name, string? Parent, long Order)>(StringComparer.Ordinal);
        var metas = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var frontier = new List<string> { rootId };
        var seen = new HashSet<string>(StringComparer.Ordinal) { rootId };
        while (frontier.Count > 0 && nodes.Count < MaxNodes)
        {
            var next = new List<string>();
            void Add(string id, string name, string? parent, long? seq)
            {
                if (!nodes.ContainsKey(id))
                {
                    // Indexed steps sort by their publish sequence; steps known only from a meta's children come after.
                    nodes[id] = (name, parent, seq ?? long.MaxValue / 2 + nodes.Count);
                }

                if (seen.Add(id))
                {
                    next.Add(id);
                }
            }

            foreach (var key in frontier)
            {
                foreach (var (id, json) in await store.GetIndexAsync(key, cancellationToken).ConfigureAwait(false))
                {
                    using var entry = JsonDocument.Parse(json);
                    var parent = entry.RootElement.GetProperty("parent");
                    Add(id, entry.RootElement.GetProperty("name").GetString() ?? string.Empty,
                        parent.ValueKind == JsonValueKind.String ? parent.GetString() : null,
                        entry.RootElement.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var order) ? order : null);
                }
            }

            var values = await backend.GetRawManyAsync(frontier, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < frontier.Count; i++)
            {
                if (values[i] is not { } json)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(json);
                var meta = document.RootElement.Clone();
                metas[frontier[i]] = meta;
                if (meta.TryGetProperty("children", out var children) && children.ValueKind == JsonValueKind.Array)
                {
                    foreach (var child in children.EnumerateArray())
                    {
                        AddTuple(ResultTuple.Read(child), frontier[i], (id, name, parent) => Add(id, name, parent, null));
                    }
                }
            }

            frontier = next;
        }

        if (!nodes.ContainsKey(rootId) && !metas.ContainsKey(rootId))
        {
            return null;
        }

        var byParent = nodes
            .Where(node => node.Value.Parent is not null)
            .GroupBy(node => node.Value.Parent!, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.OrderBy(node => node.Value.Order).Select(node => node.Key).ToList(), StringComparer.Ordinal);
        return Build(rootId, nodes, metas, byParent, new HashSet<string>(StringComparer.Ordinal));
    }

    private static void AddTuple(ResultTuple tuple, string parent, Action<string, string, string?> add)
    {
        if (tuple.Children is { } members)
        {
            add(tuple.Id, "celery.group", parent);
            foreach (var member in members)
            {
                AddTuple(member, tuple.Id, add);
            }
        }
        else
        {
            add(tuple.Id, string.Empty, parent);
        }
    }

    private static WorkflowNode Build(
        string id,
        Dictionary<string, (string Name, string? Parent, long Order)> nodes,
        Dictionary<string, JsonElement> metas,
        Dictionary<string, List<string>> byParent,
        HashSet<string> visited)
    {
        visited.Add(id);
        var children = byParent.TryGetValue(id, out var ids)
            ? ids.Where(child => !visited.Contains(child)).Select(child => Build(child, nodes, metas, byParent, visited)).ToList()
            : [];
        var name = nodes.TryGetValue(id, out var node) ? node.Name : string.Empty;
        if (metas.TryGetValue(id, out var raw))
        {
            var meta = ResultMeta.Parse(System.Text.Encoding.UTF8.GetBytes(raw.GetRawText()));
            return new WorkflowNode(id, name, meta.State, meta.State == TaskState.Success ? meta.Result : null, meta.Exception, children);
        }

        // A group has no meta of its own: FAILURE/REVOKED when a member did, SUCCESS when all did, else PENDING.
        var state = TaskState.Pending;
        if (name == "celery.group" && children.Count > 0)
        {
            var failed = children.FirstOrDefault(child => child.State is TaskState.Failure or TaskState.Revoked);
            state = failed?.State ?? (children.All(child => child.State == TaskState.Success) ? TaskState.Success : TaskState.Pending);
        }

        return new WorkflowNode(id, name, state, null, null, children);
    }
}
