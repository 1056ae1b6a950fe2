using XformerDsl.Training;
using Xunit;

namespace XformerDsl.Tests.Training;

public class LearningRateScheduleTests
{
    private const double Peak = 1e-3, MinFraction = 0.1;
    private const int Warmup = 10, Steps = 100;

    private static double At(int step) => LearningRateSchedule.At(step, (double)step / Steps, Peak, Warmup, MinFraction);

    [Fact]
    public void Warmup_rises_linearly_from_near_zero()
    {
        Assert.True(At(0) < Peak / Warmup * 1.01);
        for (int s = 1; s < Warmup; s++)
            Assert.True(At(s) > At(s - 1));
        Assert.Equal(2 * At(0), At(1), 1e-3 * At(1));
    }

    [Fact]
    public void After_warmup_the_rate_falls_monotonically_to_the_floor()
    {
        for (int s = Warmup; s < Steps; s++)
            Assert.True(At(s + 1) <= At(s));
        Assert.Equal(Peak * MinFraction, LearningRateSchedule.At(Steps, 1.0, Peak, Warmup, MinFraction), 1e-12);
        Assert.Equal(Peak * MinFraction, LearningRateSchedule.At(Steps, 5.0, Peak, Warmup, MinFraction), 1e-12);
    }

    [Fact]
    public void Progress_follows_whichever_limit_binds_first()
    {
        Assert.Equal(0.5, LearningRateSchedule.Progress(50, 100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)));
        Assert.Equal(0.8, LearningRateSchedule.Progress(10, 100, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(10)), 1e-12);
        Assert.Equal(0.1, LearningRateSchedule.Progress(10, 100, TimeSpan.FromHours(1), null));
        Assert.Equal(1.0, LearningRateSchedule.Progress(10, 100, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10)));
    }
}
