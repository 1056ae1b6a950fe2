using System.Numerics;
using System.Runtime.Intrinsics;
using XformerDsl.Kernels;
using Xunit;

namespace XformerDsl.Runtime.Tests.Kernels;

/// <summary>
/// <see cref="ISimdOps{TVec, T}.AnyGreaterThan"/>, the lane-wise test the online softmax uses to decide whether a tile
/// moves a row's reference maximum: at each width and dtype, true exactly when some lane is greater, whichever lane it
/// is, and false for equal lanes and for NaN.
/// </summary>
public sealed class SimdLaneTestTests
{
    [Fact]
    public void Float_at_every_width() => Check<float>();

    [Fact]
    public void Double_at_every_width() => Check<double>();

    private static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckWidth<T, Vector512<T>, Simd512<T>>();
        CheckWidth<T, Vector256<T>, Simd256<T>>();
        CheckWidth<T, Vector128<T>, Simd128<T>>();
    }

    private static unsafe void CheckWidth<T, TVec, TOps>()
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        int count = TOps.Count;
        var threshold = TOps.Broadcast(T.CreateChecked(2.5));
        var lanes = new T[count];
        TVec Of(T[] values) { fixed (T* p = values) return TOps.Load(p); }

        Array.Fill(lanes, T.CreateChecked(2.5));
        Assert.False(TOps.AnyGreaterThan(Of(lanes), threshold), $"{typeof(TOps).Name}: equal lanes are not greater.");
        Array.Fill(lanes, T.NaN);
        Assert.False(TOps.AnyGreaterThan(Of(lanes), threshold), $"{typeof(TOps).Name}: NaN lanes are not greater.");
        for (int lane = 0; lane < count; lane++)
        {
            Array.Fill(lanes, T.NegativeInfinity);
            lanes[lane] = T.CreateChecked(2.75);
            Assert.True(TOps.AnyGreaterThan(Of(lanes), threshold), $"{typeof(TOps).Name}: lane {lane} of {count} is greater.");
            lanes[lane] = T.CreateChecked(2.25);
            Assert.False(TOps.AnyGreaterThan(Of(lanes), threshold), $"{typeof(TOps).Name}: no lane is greater (lane {lane} below).");
        }
    }
}
