using System.IO.Pipelines;
using System.Net.Sockets;
using Onboarding.TaskEngine.Redis;
using StackExchange.Redis;

namespace Onboarding.Tests.TaskEngine.Redis;

public sealed class ResultStoreRetryTests
{
    [Fact]
    public void IsTransient_IsTrue_WhenTheConnectionWasResetMidCommand()
    {
        // What StackExchange.Redis threw for a store in flight when Redis stopped: the socket layer's reset, not a
        // RedisConnectionException.
        var reset = new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset));

        Assert.True(RedisErrors.IsTransient(reset));
        Assert.True(RedisErrors.IsTransient(new SocketException((int)SocketError.ConnectionRefused)));
    }

    [Fact]
    public void IsTransient_IsTrue_WhenTheCommandFoundItsConnectionsPipeCompleted()
    {
        // What StackExchange.Redis let out, unwrapped, for a SUCCESS store written while Redis was stopping under load.
        var pipe = new Pipe();
        pipe.Writer.Complete();

        var completed = Assert.Throws<InvalidOperationException>(() => pipe.Writer.GetSpan());

        Assert.True(RedisErrors.IsTransient(completed));
    }

    [Fact]
    public void IsTransient_IsFalse_WhenTheScriptOrDataIsWrong()
    {
        Assert.False(RedisErrors.IsTransient(new RedisServerException("ERR wrong number of arguments")));
        Assert.False(RedisErrors.IsTransient(new InvalidOperationException("bad data")));
    }
}
