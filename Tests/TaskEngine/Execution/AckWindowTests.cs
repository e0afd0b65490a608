using Onboarding.TaskEngine.RabbitMq;

namespace Onboarding.Tests.TaskEngine.Execution;

public sealed class AckWindowTests
{
    [Fact]
    public void TakePlan_AcksAllWithOneMultiple_WhenEveryDeliveryFinished()
    {
        var window = Delivered(1, 2, 3, 4);
        foreach (var tag in new ulong[] { 3, 1, 4, 2 })
        {
            window.RequestAck(tag);
        }

        var plan = window.TakePlan();

        Assert.Equal(4ul, plan.MultipleUpTo);
        Assert.Empty(plan.Singles);
        Assert.True(window.TakePlan().IsEmpty);
    }

    [Fact]
    public void TakePlan_NeverCoversARunningDelivery_WhenOneBelowIsStillRunning()
    {
        var window = Delivered(1, 2, 3, 4, 5);
        window.RequestAck(1);
        window.RequestAck(2);
        window.RequestAck(4);
        window.RequestAck(5);

        var plan = window.TakePlan();

        // 3 is still running: the multiple-ack stops at 2, and 4 and 5 go one by one.
        Assert.Equal(2ul, plan.MultipleUpTo);
        Assert.Equal([4ul, 5ul], plan.Singles);

        window.RequestAck(3);
        Assert.Equal([3ul], window.TakePlan().Singles);
    }

    [Fact]
    public void TakePlan_SendsSingles_WhenTheLowestDeliveryIsRunning()
    {
        var window = Delivered(7, 8, 9);
        window.RequestAck(8);
        window.RequestAck(9);

        var plan = window.TakePlan();

        Assert.Equal(0ul, plan.MultipleUpTo);
        Assert.Equal([8ul, 9ul], plan.Singles);
    }

    [Fact]
    public void TakePlan_UsesAPlainAck_WhenOneTagWaits()
    {
        var window = Delivered(1, 2);
        window.RequestAck(1);

        var plan = window.TakePlan();

        Assert.Equal(0ul, plan.MultipleUpTo);
        Assert.Equal([1ul], plan.Singles);
    }

    [Fact]
    public void TakePlan_StopsBelowADeliveryBeingNacked_UntilItsNackIsSent()
    {
        var window = Delivered(1, 2, 3);
        window.RequestAck(1);
        window.RequestAck(3);

        // 2 is being nacked (requeue): not waiting for an ack, not settled until its frame is out.
        var plan = window.TakePlan();
        Assert.Equal([1ul, 3ul], plan.Singles);
        Assert.Equal(0ul, plan.MultipleUpTo);

        window.Settled(2);
        window.Delivered(4);
        window.Delivered(5);
        window.RequestAck(4);
        window.RequestAck(5);
        Assert.Equal(5ul, window.TakePlan().MultipleUpTo);
    }

    [Fact]
    public void RequestAck_IgnoresATagSettledAlready()
    {
        var window = Delivered(1);
        window.Settled(1);

        window.RequestAck(1);

        Assert.Equal(0, window.Waiting);
        Assert.True(window.TakePlan().IsEmpty);
    }

    private static AckWindow Delivered(params ulong[] tags)
    {
        var window = new AckWindow();
        foreach (var tag in tags)
        {
            window.Delivered(tag);
        }

        return window;
    }
}
