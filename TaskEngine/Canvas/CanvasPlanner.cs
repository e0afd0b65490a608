using System.Text.Json;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// The task that is publishing, if any (Celery's <c>current_worker_task</c> in <c>send_task</c>): messages that carry
/// no <c>parent_id</c>/<c>root_id</c> of their own take these.
/// </summary>
internal sealed record PlanContext(string? ParentId = null, string? RootId = null)
{
    public static PlanContext Client { get; } = new();
}

/// <summary>Partial arguments given when a signature is applied (a parent's result, a chord's result list).</summary>
internal readonly record struct PartialArgs(IReadOnlyList<JsonElement> Args, IReadOnlyDictionary<string, JsonElement> Kwargs)
{
    public static PartialArgs None { get; } = new([], ValueMap.Empty);

    public static PartialArgs Of(params JsonElement[] args) => new(args, ValueMap.Empty);
}

/// <summary>
/// Turns a canvas into the messages to publish, the way Celery 5.2's <c>apply_async</c> does, as a pure function:
/// task ids are frozen up front with the injected id generator, a chain travels reversed in <c>embed.chain</c>,
/// a group followed by a task in a chain becomes a chord, a chord header carries <c>group</c>/<c>group_index</c>/
/// <c>embed.chord</c> and needs its size SET first. No I/O.
/// </summary>
/// <param name="newId">Makes task and group ids (default: UUIDv7 strings).</param>
/// <param name="replyTo">The <c>reply_to</c> to freeze into signatures that have none (Celery's <c>app.thread_oid</c>); null leaves it unset.</param>
internal sealed class CanvasPlanner(Func<string>? newId = null, string? replyTo = null)
{
    private readonly Func<string> _newId = newId ?? (() => Guid.CreateVersion7().ToString());

    private string? ReplyTo => replyTo;

    /// <summary>What a client publishes for <c>canvas.apply_async()</c>.</summary>
    public PublishPlan Plan(Signature canvas, PlanContext? context = null) =>
        Apply(canvas, PartialArgs.None, SignatureOptions.None, context ?? PlanContext.Client, appliedByWorker: false);

    /// <summary>
    /// Celery's <c>signature.apply_async(partial_args, partial_kwargs, **options)</c>.
    /// <paramref name="appliedByWorker"/> mirrors a Python worker, which rebuilds signatures from dicts and so
    /// gives every chord it applies a new group id.
    /// </summary>
    public PublishPlan Apply(Signature canvas, PartialArgs partial, SignatureOptions options, PlanContext context, bool appliedByWorker)
    {
        var run = new Run(this, context, appliedByWorker);
        run.Apply(canvas, partial, options);
        return run.ToPlan();
    }

    /// <summary>Several applies in one plan (e.g. a task's callbacks and then its next chain step).</summary>
    internal Run Begin(PlanContext context, bool appliedByWorker) => new(this, context, appliedByWorker);

    /// <summary>Assigns ids to the canvas without publishing (Celery's <c>freeze</c>); returns the frozen canvas and its result.</summary>
    public (Signature Frozen, ResultTuple Result) Freeze(Signature canvas) =>
        new Run(this, PlanContext.Client, appliedByWorker: false).Freeze(canvas, default);

    /// <summary>
    /// Celery's <c>chord._descend</c>: how many completions a header member contributes to a chord's size.
    /// 1 per task, the sum for a group, the last non-empty step for a chain, the body for a nested chord.
    /// </summary>
    public static int ChordSize(Signature member) => member switch
    {
        Group group => group.Tasks.Sum(ChordSize),
        Chain chain => chain.Tasks.Reverse().Select(ChordSize).FirstOrDefault(size => size > 0),
        Chord chord => ChordSize(chord.Body),
        _ => 1,
    };

    internal readonly record struct FreezeArgs(
        string? TaskId = null,
        string? GroupId = null,
        Signature? Chord = null,
        int? GroupIndex = null,
        string? RootId = null,
        string? ParentId = null);

    internal sealed class Run(CanvasPlanner planner, PlanContext context, bool appliedByWorker)
    {
        private static readonly JsonElement EmptyList = JsonDocument.Parse("[]").RootElement.Clone();
        private readonly List<PlannedMessage> _messages = [];
        private readonly List<ChordSizeEffect> _chordSizes = [];
        private readonly List<ResultTuple> _results = [];
        private readonly List<ResultTuple> _savedGroups = [];

        public PublishPlan ToPlan() => new([.. _messages], [.. _chordSizes], [.. _results]) { SavedGroups = [.. _savedGroups] };

        private string NewId() => planner._newId();

        public void Apply(Signature canvas, PartialArgs partial, SignatureOptions options)
        {
            if (ApplyAny(canvas, partial, options) is { } result)
            {
                _results.Add(result);
            }
        }

        private ResultTuple? ApplyAny(Signature canvas, PartialArgs partial, SignatureOptions call) => canvas switch
        {
            Chain chain => ApplyChain(chain, partial, call),
            Group group => ApplyGroup(group, partial, call),
            Chord chord => ApplyChord(chord, partial, call),
            Chunks chunks => ApplyGroup(chunks.ToGroup(), partial, call),
            _ => ApplyTask(canvas, partial, call),
        };

        // Task.apply_async: one message; link/link_error/chain/chord move to the embed.
        private ResultTuple ApplyTask(Signature signature, PartialArgs partial, SignatureOptions call)
        {
            var options = signature.Options.MergedWith(call);
            var taskId = options.TaskId ?? NewId();
            var merged = WithPartial(signature, partial);
            var kwargs = merged switch
            {
                TaskSignature task => task.Kwargs,
                MapSignature map and not Chunks => MapKwargs(map),
                _ => throw new NotSupportedException($"{signature.GetType().Name} is not a plain task."),
            };
            var headerOptions = options.WithoutEmbed() with
            {
                TaskId = taskId,
                ReplyTo = options.ReplyTo ?? planner.ReplyTo,
                RootId = options.RootId ?? context.RootId ?? taskId,
                ParentId = options.ParentId ?? context.ParentId,
            };
            _messages.Add(new PlannedMessage(
                signature.Task,
                merged.Args,
                kwargs,
                headerOptions,
                new MessageEmbed(options.Link, options.LinkError, options.Chain, options.Chord)));
            return new ResultTuple(taskId);
        }

        // group.apply_async: one group id; nested groups are flattened; plain groups carry no group_index.
        private ResultTuple ApplyGroup(Group group, PartialArgs partial, SignatureOptions call)
        {
            if (call.Link is not null || call.LinkError is not null)
            {
                throw new InvalidOperationException(
                    "Cannot link a group: use a chord for a callback, and OnError on the group for errbacks.");
            }

            var options = group.Options.MergedWith(call);
            var groupId = options.TaskId ?? NewId();
            var memberCall = options with { TaskId = null, GroupId = groupId, Chord = null, GroupIndex = null };
            var members = Flatten(group.Tasks).ToList();
            var size = 0;
            var results = new List<ResultTuple>(members.Count);
            for (var i = 0; i < members.Count; i++)
            {
                var member = members[i];
                size += ChordSize(member);
                var chord = call.Chord ?? member.Options.Chord;
                if (chord is not null && i == members.Count - 1)
                {
                    _chordSizes.Add(new ChordSizeEffect(groupId, size));
                }

                if (ApplyAny(member, partial, memberCall with { Chord = chord }) is { } result)
                {
                    results.Add(result);
                }
            }

            return new ResultTuple(groupId, Children: results);
        }

        // chain.apply_async / chain.run: freeze every step, publish the first with the rest reversed in embed.chain.
        private ResultTuple? ApplyChain(Chain chain, PartialArgs partial, SignatureOptions call)
        {
            var options = chain.Options.MergedWith(call);
            var args = chain.IsImmutable || partial.Args.Count == 0 ? chain.Args : [.. partial.Args, .. chain.Args];
            var (tasks, results) = PrepareSteps(
                chain.Tasks,
                new PartialArgs(args, partial.Kwargs),
                new FreezeArgs(options.TaskId, options.GroupId, options.Chord, options.GroupIndex, options.RootId),
                options.LinkError);
            if (tasks.Count == 0)
            {
                return null;
            }

            foreach (var link in options.Link ?? [])
            {
                tasks[0] = tasks[0].Link(link);
            }

            var first = tasks[^1];
            IReadOnlyList<Signature> rest = [.. tasks.Take(tasks.Count - 1)];
            var firstCall = options with
            {
                TaskId = null,
                GroupId = null,
                Chord = null,
                GroupIndex = null,
                Link = null,
                LinkError = null,
                RootId = null,
                ParentId = null,
                Chain = options.Chain is { } outer ? [.. outer, .. rest] : rest,
            };
            ApplyAny(first, PartialArgs.None, firstCall);
            return results[0];
        }

        // chord.apply_async / chord.run: freeze the body, freeze the header with group/group_index/chord, SET the size.
        private ResultTuple ApplyChord(Chord chord, PartialArgs partial, SignatureOptions call)
        {
            IReadOnlyList<JsonElement> args = chord.IsImmutable || partial.Args.Count == 0 ? chord.Args : [.. partial.Args, .. chord.Args];
            var kwargs = MergeKwargs(chord.HeaderKwargs, partial.Kwargs);
            var body = chord.Body with { Options = chord.Body.Options.MergedWith(call with { TaskId = null }) };
            var merged = chord.Options.MergedWith(call);
            var groupId = (appliedByWorker ? null : chord.Header.Options.TaskId) ?? NewId();
            var runOptions = merged with { TaskId = null };
            body = body with { Options = body.Options.OverlaidWith(runOptions) };
            var rootId = body.Options.RootId;
            var (frozenBody, bodyResult) = Freeze(body, new FreezeArgs(TaskId: merged.TaskId, RootId: rootId));
            var header = chord.Header with { Options = chord.Header.Options with { TaskId = groupId } };
            var (frozenHeader, headerResult) = FreezeGroup(header, new FreezeArgs(GroupId: groupId, Chord: frozenBody, RootId: rootId));
            if (frozenHeader.Tasks.Count > 0)
            {
                // backend.apply_chord: a header with group results inside is saved, so the join keeps its shape.
                if (headerResult.Children!.Any(child => child.IsGroup))
                {
                    _savedGroups.Add(headerResult);
                }

                ApplyGroup(
                    frozenHeader,
                    new PartialArgs(args, kwargs),
                    runOptions with { TaskId = groupId, Chain = null, Chord = null, Link = null, LinkError = null });
            }
            else
            {
                ApplyAny(frozenBody, PartialArgs.Of(EmptyList), SignatureOptions.None);
            }

            return AttachParent(bodyResult, headerResult);
        }

        // chain.prepare_steps: walk the steps backwards, freezing each; returns them reversed (last step first).
        private (List<Signature> Tasks, List<ResultTuple> Results) PrepareSteps(
            IReadOnlyList<Signature> chainTasks,
            PartialArgs partial,
            FreezeArgs last,
            IReadOnlyList<Signature>? linkError)
        {
            var steps = new List<Signature>(chainTasks);
            var tasks = new List<Signature>();
            var results = new List<ResultTuple>();
            Signature? previous = null;
            while (steps.Count > 0)
            {
                var task = steps[^1];
                steps.RemoveAt(steps.Count - 1);
                var isFirst = steps.Count == 0;
                var isLast = tasks.Count == 0;
                if (task is Group { Tasks.Count: 1 } single)
                {
                    task = single.Tasks[0];
                }
                else if (task is Group { Tasks.Count: 0 } && (!isFirst || previous is not null))
                {
                    continue;
                }

                if (isFirst)
                {
                    task = WithPartial(task, partial);
                }

                if (task is Chain nested)
                {
                    steps.AddRange(Unchain(nested));
                    continue;
                }

                if (task is Group group && previous is not null)
                {
                    // chain(..., group, task, ...): the group and the task after it become one chord.
                    tasks.RemoveAt(tasks.Count - 1);
                    var bodyResult = results[^1];
                    results.RemoveAt(results.Count - 1);
                    task = new Chord(group, previous) { Options = new SignatureOptions { TaskId = bodyResult.Id, RootId = last.RootId } };
                    previous = tasks.Count > 0 ? tasks[^1] : null;
                }

                foreach (var errback in linkError ?? [])
                {
                    task = task.OnError(errback);
                }

                var (frozen, result) = isLast
                    ? Freeze(task, last with { ParentId = null })
                    : Freeze(task, new FreezeArgs(RootId: last.RootId));
                tasks.Add(frozen);
                results.Add(result);
                previous = frozen;
            }

            // Each step's result has the step before it as parent (Celery: prev_res.parent = res).
            for (var i = results.Count - 1; i > 0; i--)
            {
                results[i - 1] = AttachParent(results[i - 1], results[i]);
            }

            return (tasks, results);
        }

        public (Signature Frozen, ResultTuple Result) Freeze(Signature canvas, FreezeArgs args)
        {
            switch (canvas)
            {
                case Group group:
                    var (frozenGroup, groupResult) = FreezeGroup(group, args);
                    return (frozenGroup, groupResult);
                case Chain chain:
                    var (tasks, results) = PrepareSteps(chain.Tasks, PartialArgs.None, args, linkError: null);
                    tasks.Reverse();
                    return (chain with { Tasks = tasks }, results.Count > 0 ? results[0] : new ResultTuple(args.TaskId ?? NewId()));
                case Chord chord:
                    var (body, bodyResult) = Freeze(chord.Body, args with { ParentId = null });
                    var (header, headerResult) = FreezeGroup(chord.Header, new FreezeArgs(Chord: body, RootId: args.RootId, ParentId: args.ParentId));
                    var frozenChord = chord with { Header = header, Body = body, Options = chord.Options with { TaskId = headerResult.Id } };
                    return (frozenChord, AttachParent(bodyResult, headerResult));
                default:
                    var options = canvas.Options;
                    var taskId = options.TaskId ?? args.TaskId ?? NewId();
                    options = options with
                    {
                        TaskId = taskId,
                        ReplyTo = options.ReplyTo ?? planner.ReplyTo,
                        RootId = args.RootId ?? options.RootId,
                        ParentId = args.ParentId ?? options.ParentId,
                        GroupId = options.GroupId ?? args.GroupId,
                        Chord = args.Chord ?? options.Chord,
                        GroupIndex = args.GroupIndex ?? options.GroupIndex,
                    };
                    return (canvas with { Options = options }, new ResultTuple(taskId));
            }
        }

        // group.freeze: the members (flattened) are frozen with the caller's group id, not the group's own id.
        private (Group Frozen, ResultTuple Result) FreezeGroup(Group group, FreezeArgs args)
        {
            var groupId = group.Options.TaskId ?? args.GroupId ?? NewId();
            var frozen = new List<Signature>();
            var results = new List<ResultTuple>();
            foreach (var member in Flatten(group.Tasks))
            {
                var (frozenMember, result) = Freeze(member, args with { TaskId = null, GroupIndex = frozen.Count });
                frozen.Add(frozenMember);
                results.Add(result);
            }

            var options = group.Options with
            {
                TaskId = groupId,
                GroupId = args.GroupId ?? group.Options.GroupId,
                Chord = args.Chord ?? group.Options.Chord,
                GroupIndex = args.GroupIndex ?? group.Options.GroupIndex,
                RootId = group.Options.RootId ?? args.RootId,
                ParentId = group.Options.ParentId ?? args.ParentId,
            };
            return (group with { Tasks = frozen, Options = options }, new ResultTuple(groupId, Children: results));
        }

        private static IEnumerable<Signature> Flatten(IEnumerable<Signature> members)
        {
            foreach (var member in members)
            {
                switch (member)
                {
                    case Group nested:
                        foreach (var inner in Flatten(nested.Tasks))
                        {
                            yield return inner;
                        }

                        break;
                    case Chain { Tasks.Count: 0 }:
                        break;
                    default:
                        yield return member;
                        break;
                }
            }
        }

        // chain.unchain_tasks: a nested chain's link goes to its last step, its link_error to every step.
        private static IEnumerable<Signature> Unchain(Chain chain)
        {
            var tasks = chain.Tasks.ToList();
            if (tasks.Count == 0)
            {
                return tasks;
            }

            if (chain.Args.Count > 0 && !chain.IsImmutable)
            {
                tasks[0] = WithPartial(tasks[0], new PartialArgs(chain.Args, ValueMap.Empty));
            }

            foreach (var link in chain.Options.Link ?? [])
            {
                tasks[^1] = tasks[^1].Link(link);
            }

            foreach (var errback in chain.Options.LinkError ?? [])
            {
                for (var i = 0; i < tasks.Count; i++)
                {
                    tasks[i] = tasks[i].OnError(errback);
                }
            }

            return tasks;
        }

        // Signature._merge for partial arguments: prepend args, merge kwargs, unless immutable.
        private static Signature WithPartial(Signature signature, PartialArgs partial)
        {
            if (signature.IsImmutable || (partial.Args.Count == 0 && partial.Kwargs.Count == 0))
            {
                return signature;
            }

            return signature switch
            {
                TaskSignature task => task with
                {
                    Args = [.. partial.Args, .. task.Args],
                    Kwargs = MergeKwargs(task.Kwargs, partial.Kwargs),
                },
                Chord chord => chord with
                {
                    Args = [.. partial.Args, .. chord.Args],
                    HeaderKwargs = MergeKwargs(chord.HeaderKwargs, partial.Kwargs),
                },
                Group group => group with { Tasks = [.. group.Tasks.Select(member => WithPartial(member, partial))] },
                _ => signature with { Args = [.. partial.Args, .. signature.Args] },
            };
        }

        private static IReadOnlyDictionary<string, JsonElement> MergeKwargs(
            IReadOnlyDictionary<string, JsonElement> own,
            IReadOnlyDictionary<string, JsonElement> partial)
        {
            if (partial.Count == 0)
            {
                return own;
            }

            var merged = new Dictionary<string, JsonElement>(own, StringComparer.Ordinal);
            foreach (var (key, value) in partial)
            {
                merged[key] = value;
            }

            return merged;
        }

        private static IReadOnlyDictionary<string, JsonElement> MapKwargs(MapSignature map)
        {
            using var document = JsonDocument.Parse(CanvasJson.Serialize(map.Callee));
            return new Dictionary<string, JsonElement>(StringComparer.Ordinal)
            {
                ["task"] = document.RootElement.Clone(),
                ["it"] = JsonArgs.ToElement(map.Items),
            };
        }

        // The first result without a parent (walking up) gets `parent`.
        private static ResultTuple AttachParent(ResultTuple result, ResultTuple parent) =>
            result.Parent is null ? result with { Parent = parent } : result with { Parent = AttachParent(result.Parent, parent) };
    }
}
