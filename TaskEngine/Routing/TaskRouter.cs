using System.Collections.Concurrent;
using Onboarding.TaskEngine.DependencyInjection;

namespace Onboarding.TaskEngine.Routing;

/// <summary>Maps a task name to its queue: explicit queue, then the task's option, then glob routes, then the default.</summary>
internal sealed class TaskRouter
{
    private readonly TaskRoute[] _routes;
    private readonly string _defaultQueue;
    private readonly ConcurrentDictionary<string, string> _cache = new(StringComparer.Ordinal);

    public TaskRouter(IEnumerable<TaskRoute> routes, string defaultQueue)
    {
        _routes = [.. routes];
        _defaultQueue = defaultQueue;
    }

    public string Route(string taskName, string? explicitQueue = null, string? taskQueue = null)
    {
        if (!string.IsNullOrEmpty(explicitQueue))
        {
            return explicitQueue;
        }

        if (!string.IsNullOrEmpty(taskQueue))
        {
            return taskQueue;
        }

        return _cache.TryGetValue(taskName, out var queue) ? queue : _cache.GetOrAdd(taskName, Match(taskName));
    }

    /// <summary>All queues the routes name, for topology declaration.</summary>
    public IEnumerable<string> Queues
    {
        get
        {
            yield return _defaultQueue;
            foreach (var route in _routes)
            {
                yield return route.Queue;
            }
        }
    }

    private string Match(string taskName)
    {
        foreach (var route in _routes)
        {
            if (GlobMatches(route.Pattern, taskName))
            {
                return route.Queue;
            }
        }

        return _defaultQueue;
    }

    /// <summary>Glob match with <c>*</c> (any run, dots included) and <c>?</c> (one character), ordinal.</summary>
    internal static bool GlobMatches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
