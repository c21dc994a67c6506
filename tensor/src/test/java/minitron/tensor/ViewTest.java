package minitron.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Views share memory and index as NumPy does; broadcasting follows NumPy rules and nothing else. */
class ViewTest {

    /** 0, 1, 2, ... as F32 of the given shape. */
    private static Tensor arange(int... dims) {
        Tensor t = Tensor.zeros(DType.F32, dims);
        for (int i = 0; i < t.numel(); i++) t.writeDouble(i, i);
        return t;
    }

    @Test
    void reshapeInfersOneSizeSharesMemoryAndCopiesWhenNeeded() {
        Tensor x = arange(2, 3, 4);
        Tensor r = x.reshape(4, -1);
        assertEquals(Shape.of(4, 6), r.shape());
        assertSame(x.data(), r.data(), "reshape of a contiguous tensor is a view");
        assertEquals(13.0, r.get(2, 1), 0.0);
        Tensor t = x.transpose(0, 2); // (4, 3, 2), not contiguous
        assertFalse(t.isContiguous());
        Tensor flat = t.reshape(-1);
        assertArrayEquals(t.toDoubleArray(), flat.toDoubleArray(), 0.0, "reshape of a view copies in row-major order");
        assertThrows(TensorException.class, () -> x.reshape(5, -1));
        assertThrows(TensorException.class, () -> x.reshape(-1, -1));
        assertThrows(TensorException.class, () -> x.reshape(7));
    }

    @Test
    void permuteTransposeSliceSelectUnsqueeze() {
        Tensor x = arange(2, 3, 4);
        Tensor p = x.permute(2, 0, 1);
        assertEquals(Shape.of(4, 2, 3), p.shape());
        assertEquals(x.get(1, 2, 3), p.get(3, 1, 2), 0.0);
        assertThrows(TensorException.class, () -> x.permute(0, 0, 1), "an axis twice");
        assertThrows(TensorException.class, () -> x.permute(0, 1), "too few axes");
        Tensor tr = x.transpose(-1, 0);
        assertEquals(Shape.of(4, 3, 2), tr.shape());
        assertEquals(x.get(1, 0, 2), tr.get(2, 0, 1), 0.0);
        Tensor s = x.slice(2, 1, 3);
        assertEquals(Shape.of(2, 3, 2), s.shape());
        assertEquals(x.get(1, 2, 2), s.get(1, 2, 1), 0.0);
        s.set(-5, 0, 0, 0);
        assertEquals(-5.0, x.get(0, 0, 1), 0.0, "a slice writes through to its base");
        assertThrows(TensorException.class, () -> x.slice(1, 2, 4));
        assertThrows(TensorException.class, () -> x.slice(1, 2, 1));
        Tensor sel = x.select(1, 2);
        assertEquals(Shape.of(2, 4), sel.shape());
        assertEquals(x.get(1, 2, 3), sel.get(1, 3), 0.0);
        assertThrows(TensorException.class, () -> x.select(0, 2));
        Tensor u = x.unsqueeze(-1);
        assertEquals(Shape.of(2, 3, 4, 1), u.shape());
        assertEquals(Shape.of(1, 2, 3, 4), x.unsqueeze(0).shape());
        assertThrows(TensorException.class, () -> x.unsqueeze(4));
        assertThrows(TensorException.class, () -> x.transpose(0, 3));
    }

    @Test
    void expandRepeatsWithStrideZero() {
        Tensor row = arange(1, 3);
        Tensor e = row.expand(4, 3);
        assertEquals(0, e.stride(0));
        for (int i = 0; i < 4; i++) assertEquals(2.0, e.get(i, 2), 0.0);
        Tensor lead = arange(3).expand(2, 5, 3);
        assertEquals(Shape.of(2, 5, 3), lead.shape());
        assertEquals(1.0, lead.get(1, 4, 1), 0.0);
        assertThrows(TensorException.class, () -> arange(2, 3).expand(4, 3), "2 cannot expand to 4");
        assertThrows(TensorException.class, () -> arange(2, 3).expand(3), "lower rank");
        assertTrue(arange(2, 3).expand(2, 3).isContiguous());
    }

    @Test
    void broadcastingFollowsNumpyRulesOnly() {
        Ops ops = Ops.of(Backends.scalar());
        assertEquals(Shape.of(3, 4), ops.add(arange(3, 1), arange(1, 4)).shape());
        assertEquals(Shape.of(2, 3), ops.add(arange(2, 3), arange(3)).shape());
        assertEquals(Shape.of(5, 3, 4), ops.add(arange(5, 1, 4), arange(3, 1)).shape());
        assertEquals(Shape.of(2, 3), ops.mul(arange(2, 3), Tensor.scalar(2f)).shape());
        TensorException e = assertThrows(TensorException.class, () -> ops.add(arange(3, 2), arange(3)));
        assertTrue(e.getMessage().startsWith("add: expected shapes that broadcast"), e.getMessage());
        assertTrue(e.getMessage().contains("(3, 2) and (3)"), e.getMessage());
        assertThrows(TensorException.class, () -> ops.add(arange(2, 3), arange(2)), "no left-alignment");
        assertThrows(TensorException.class, () -> ops.mul(arange(4, 3), arange(2, 3)));
    }

    @Test
    void contiguousCopiesOnlyWhenNeeded() {
        Tensor x = arange(3, 5);
        assertSame(x, x.contiguous());
        Tensor t = x.transpose(0, 1).contiguous();
        assertTrue(t.isContiguous());
        assertEquals(x.get(2, 4), t.get(4, 2), 0.0);
    }
}
