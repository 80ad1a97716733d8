# Generates assembly/winograd4.ts: Winograd F(4x4, 3x3) with the transforms unrolled.
#
# Each 2-D transform is a 1-D transform applied to the columns, then to the rows. The 1-D
# transforms below are the matrices of the template's comment written with their shared sums (as
# NNPACK and XNNPACK write them): Bᵀ takes 14 operations for 6 outputs where the plain dot
# products take 32, so the transforms, a quarter of a training step, do about half the arithmetic.
# `madd(k, x, y)` is k·x + y (simd.ts: one fused instruction in the relaxed-SIMD build).
# check() verifies every 1-D transform against its matrix with exact fractions.
import os
from fractions import Fraction as Fr
here = os.path.dirname(os.path.abspath(__file__))
BT=[[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]]
G=[[Fr(1,4),0,0],[Fr(-1,6),Fr(-1,6),Fr(-1,6)],[Fr(-1,6),Fr(1,6),Fr(-1,6)],[Fr(1,24),Fr(1,12),Fr(1,6)],[Fr(1,24),Fr(-1,12),Fr(1,6)],[0,0,1]]
AT=[[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]]

consts=set()
def k(c):
    c=Fr(c); consts.add(c)
    a=abs(c); s='k' if c>0 else 'km'
    return s+(str(a.numerator) if a.denominator==1 else f"{a.numerator}_{a.denominator}")
def constdecl():
    s="".join(f"  const {k(c)} = f32x4.splat({float(c)!r});\n" for c in sorted(consts))
    consts.clear(); return s

class T:
    """Emits `const` lines for one 1-D transform; names are unique through the prefix."""
    def __init__(self, pre, ind): self.pre=pre; self.ind=ind; self.lines=[]; self.n=0
    def let(self, expr):
        name=f"{self.pre}{self.n}"; self.n+=1
        self.lines.append(f"{self.ind}const {name} = {expr};"); return name
    def add(self,a,b): return self.let(f"f32x4.add({a}, {b})")
    def sub(self,a,b): return self.let(f"f32x4.sub({a}, {b})")
    def mul(self,c,a): return self.let(f"f32x4.mul({k(c)}, {a})")
    def madd(self,c,a,b): return self.let(f"madd({k(c)}, {a}, {b})")

# The 1-D transforms: t is the emitter, x the input names; each returns its output names.
def bt(t,x):
    d0,d1,d2,d3,d4,d5=x
    e=t.sub(d4,d2); f=t.sub(d3,d1)
    return [t.madd(4,d0,t.madd(-5,d2,d4)),
            t.madd(-4,t.add(d1,d2),t.add(d3,d4)),
            t.madd(4,t.sub(d1,d2),t.sub(d4,d3)),
            t.madd(2,f,e), t.madd(-2,f,e),
            t.madd(4,d1,t.madd(-5,d3,d5))]
def g(t,x):
    g0,g1,g2=x
    s=t.add(g0,g2); b=t.madd(Fr(1,24),g0,t.mul(Fr(1,6),g2))
    return [t.mul(Fr(1,4),g0), t.mul(Fr(-1,6),t.add(s,g1)), t.mul(Fr(-1,6),t.sub(s,g1)),
            t.madd(Fr(1,12),g1,b), t.madd(Fr(-1,12),g1,b), g2]
def at(t,x):
    m0,m1,m2,m3,m4,m5=x
    a=t.add(m1,m2); b=t.sub(m1,m2); c=t.add(m3,m4); d=t.sub(m3,m4)
    return [t.add(t.add(m0,a),c), t.madd(2,d,b), t.madd(4,c,a), t.add(t.madd(8,d,b),m5)]
def a_(t,x):  # Aᵀ transposed (4 -> 6): the dy transform of the filter gradient
    y0,y1,y2,y3=x
    e=t.add(y0,y2); f=t.add(y1,y3); gg=t.madd(4,y2,y0); h=t.madd(4,y3,y1)
    return [y0, t.add(e,f), t.sub(e,f), t.madd(2,h,gg), t.madd(-2,h,gg), y3]
def gt(t,x):  # Gᵀ (6 -> 3): the filter gradient's output transform
    s0,s1,s2,s3,s4,s5=x
    p=t.add(s1,s2); q=t.add(s3,s4)
    return [t.madd(Fr(1,4),s0,t.madd(Fr(-1,6),p,t.mul(Fr(1,24),q))),
            t.madd(Fr(1,6),t.sub(s2,s1),t.mul(Fr(1,12),t.sub(s3,s4))),
            t.madd(Fr(1,6),t.sub(q,p),s5)]

def check():
    """Runs each 1-D transform on exact fractions and compares it with its matrix."""
    import itertools
    class V:
        def __init__(s,v): s.v=v
    def run(fn, M, n):
        env={}
        class E(T):
            def let(self, expr): raise AssertionError
            def add(self,a,b): return env_set(env[a]+env[b])
            def sub(self,a,b): return env_set(env[a]-env[b])
            def mul(self,c,a): return env_set(Fr(c)*env[a])
            def madd(self,c,a,b): return env_set(Fr(c)*env[a]+env[b])
        cnt=[0]
        def env_set(v):
            cnt[0]+=1; name=f"_{cnt[0]}"; env[name]=v; return name
        for trial in range(5):
            vals=[Fr(7*trial+3*i*i+1, 1+i) for i in range(n)]
            names=[f"x{i}" for i in range(n)]
            env.clear(); env.update(zip(names,vals))
            outs=fn(E('',''), names)
            want=[sum(Fr(M[r][c])*vals[c] for c in range(n)) for r in range(len(M))]
            assert [env[o] for o in outs]==want, fn.__name__
    Gt=[[G[i][c] for i in range(6)] for c in range(3)]
    A=[[AT[r][c] for r in range(4)] for c in range(6)]
    run(bt,BT,6); run(g,G,3); run(at,AT,6); run(a_,A,4); run(gt,Gt,6)
    consts.clear()
check()

def two_d(fn, x, rows, cols, pre, ind):
    """fn applied to each column of x (rows x cols names), then to each row of the result."""
    L=[]; mid=[]
    for c in range(cols):
        t=T(f"{pre}c{c}_",ind); out=fn(t,[x[r][c] for r in range(rows)]); L+=t.lines; mid.append(out)
    res=[]
    for i in range(len(mid[0])):
        t=T(f"{pre}r{i}_",ind); out=fn(t,[mid[c][i] for c in range(cols)]); L+=t.lines; res.append(out)
    return L,res

def input_body():
    L,r=two_d(bt,[[f"d{i}{j}" for j in range(6)] for i in range(6)],6,6,'v','      ')
    L+=[f"      v128.store(o + {i*6+j} * ps, {r[i][j]});" for i in range(6) for j in range(6)]
    return "\n".join(L)
def output_body():
    L=[f"      const m{i}{j} = v128.load(p + {i*6+j} * ps);" for i in range(6) for j in range(6)]
    M,r=two_d(at,[[f"m{i}{j}" for j in range(6)] for i in range(6)],6,6,'s','      ')
    L+=M
    L+=[f"      if (ok{a}{b}) v128.store(row + {a} * rs + {b} * cs + o, {r[a][b]});" for a in range(4) for b in range(4)]
    return "\n".join(L)
def dy_body():
    L=[f"      const y{a}{b} = ok{a}{b} ? v128.load(row + {a} * rs + {b} * cs + o) : zero;" for a in range(4) for b in range(4)]
    M,r=two_d(a_,[[f"y{a}{b}" for b in range(4)] for a in range(4)],4,4,'r','      ')
    L+=M
    L+=[f"      v128.store(q + {i*6+j} * ps, {r[i][j]});" for i in range(6) for j in range(6)]
    return "\n".join(L)
def fout_body():
    L=[f"    const s{i}{j} = v128.load(p + {i*6+j} * ps);" for i in range(6) for j in range(6)]
    M,r=two_d(gt,[[f"s{i}{j}" for j in range(6)] for i in range(6)],6,6,'a','    ')
    L+=M
    L+=[f"    v128.store(d + {3*a+b} * tap, {r[a][b]});" for a in range(3) for b in range(3)]
    return "\n".join(L)
def vfilt_body():
    L,r=two_d(g,[[f"g{i}{j}" for j in range(3)] for i in range(3)],3,3,'u','        ')
    return "\n".join(L+[f"        v128.store(o + {i*6+j} * bs, {r[i][j]});" for i in range(6) for j in range(6)])

vb=vfilt_body(); vc=constdecl()
ib=input_body(); ic=constdecl()
ob=output_body(); oc=constdecl()
db=dy_body(); dc=constdecl()
fb=fout_body(); fc=constdecl()
loads="\n".join(f"      const d{r}{c} = ok{r}r && ok{c}c ? v128.load(p + {r} * rs + {c} * cs) : zero;" for r in range(6) for c in range(6))
rowok="\n".join(f"    const ok{r}r = ih + {r} >= 0 && ih + {r} < h;\n    const ok{r}c = iw + {r} >= 0 && iw + {r} < w;" for r in range(6))
outok="\n".join(f"    const ok{a}{b} = y0 + {a} < oh && x0 + {b} < ow;" for a in range(4) for b in range(4))
vgl="\n".join(f"        const g{r}{c} = v128.load(p + {3*r+c} * ps);" for r in range(3) for c in range(3))
# Turned 180°, with the four lanes gathered from four input channels (rows co floats apart).
vglf="\n".join(f"        const g{r}{c} = v128.load32_lane(p + {8-(3*r+c)} * ps + 3 * rs, v128.load32_lane(p + {8-(3*r+c)} * ps + 2 * rs, "
               f"v128.load32_lane(p + {8-(3*r+c)} * ps + rs, v128.load32_zero(p + {8-(3*r+c)} * ps), 1), 2), 3);" for r in range(3) for c in range(3))
src=open(os.path.join(here, 'winograd4.template')).read()
for key,v in {'@INPUT_CONSTS@':ic,'@INPUT_BODY@':ib,'@OUTPUT_CONSTS@':oc,'@OUTPUT_BODY@':ob,'@DY_CONSTS@':dc,'@DY_BODY@':db,'@FOUT_CONSTS@':fc,'@FOUT_BODY@':fb,'@LOADS@':loads,'@ROWOK@':rowok,'@OUTOK@':outok,'@VFILTER_CONSTS@':vc,'@VFILTER_BODY@':vb,'@VGLOADS@':vgl,'@VGLOADS_FLIP@':vglf}.items():
    src=src.replace(key,v)
open(os.path.join(here, '..', 'winograd4.ts'), 'w').write(src)
